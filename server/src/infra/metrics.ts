import client from 'prom-client';

/**
 * The Prometheus metrics of one app instance. Each app gets its own registry, so several apps in
 * one process (tests, benchmarks) never collide.
 */
export function createMetrics() {
  const registry = new client.Registry();
  // The event-loop lag histogram samples every 50 ms (prom-client's default is 10 ms): 20 timer
  // wake-ups a second instead of 100 on an otherwise idle node, and still a p99 per scrape.
  client.collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 50 });
  let countRooms = () => 0;
  return {
    registry,
    /** Tells the rooms gauge how to count (Socket.IO exists only after the metrics do). */
    countRoomsWith(fn: () => number) {
      countRooms = fn;
    },
    socketRooms: new client.Gauge({
      name: 'hm_socketio_rooms',
      help: 'Socket.IO rooms held on this node (a leak shows as growth with a flat socket count)',
      registers: [registry],
      collect() {
        this.set(countRooms());
      },
    }),
    redisPublishErrors: new client.Counter({
      name: 'hm_redis_publish_errors_total',
      help: 'Cross-node broadcasts that could not be published (Redis down); peers catch up by sync',
      registers: [registry],
    }),
    handshakesRefused: new client.Counter({
      name: 'hm_handshakes_refused_total',
      help: 'Socket handshakes turned away with UNAVAILABLE because too many were already in progress (reconnect storms)',
      registers: [registry],
    }),
    rateLimitUnshared: new client.Counter({
      name: 'hm_rate_limit_unshared_total',
      help: 'Rate-limit hits decided on this node without being counted in Redis, by reason (down, backlog, error)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    connectedSockets: new client.Gauge({
      name: 'hm_connected_sockets',
      help: 'Socket.IO connections open on this node',
      registers: [registry],
    }),
    socketEvents: new client.Counter({
      name: 'hm_socket_events_total',
      help: 'Socket events handled, by event name and outcome (ok or the error code)',
      labelNames: ['event', 'outcome'] as const,
      registers: [registry],
    }),
    socketEventSeconds: new client.Histogram({
      name: 'hm_socket_event_duration_seconds',
      help: 'Time from receiving a socket event to sending its ack',
      labelNames: ['event'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    dbQuerySeconds: new client.Histogram({
      name: 'hm_db_query_duration_seconds',
      help: 'Database query latency',
      labelNames: ['outcome'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    dbMaintenanceSeconds: new client.Histogram({
      name: 'hm_db_maintenance_duration_seconds',
      help: 'Routine VACUUM and ANALYZE steps of the embedded store, which hold it for their duration',
      labelNames: ['outcome'] as const,
      buckets: [0.001, 0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [registry],
    }),
    httpRequests: new client.Counter({
      name: 'hm_http_requests_total',
      help: 'HTTP requests, by route and status code',
      labelNames: ['route', 'status'] as const,
      registers: [registry],
    }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
