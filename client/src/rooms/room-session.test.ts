import type { Ack, Participant, RoomRole, RoomState, ServerEventName } from '@hackmeshi/shared';
import { describe, expect, it, vi } from 'vitest';
import { RoomSession, type RoomTransport, type VoiceControl } from './room-session.js';

const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const ROOM = uuid(900);
const CONV = uuid(901);
const ME = uuid(1);
const OTHER = uuid(2);

function person(id: string, role: RoomRole, muted = false): Participant {
  return {
    user: { id, handle: `h${id.slice(-2)}`, displayName: `Name ${id.slice(-2)}`, avatarColor: '#3f88c5', role: 'member' },
    role,
    muted,
    handRaisedAt: null,
    joinedAt: new Date(0).toISOString(),
    presence: { state: 'online', lastSeen: null },
  };
}

let revs = 0;
function state(people: Participant[], roomId = ROOM): RoomState {
  return {
    rev: ++revs,
    room: {
      id: roomId,
      title: 'room',
      tag: null,
      visibility: 'open',
      host: null,
      capacity: 12,
      participantCount: people.length,
      full: false,
      preview: [],
      createdAt: new Date(0).toISOString(),
    },
    conversationId: CONV,
    inviteToken: null,
    participants: people,
    hands: [],
    speakerCap: 8,
    peers: Object.fromEntries(people.map((p) => [p.user.id, `sock-${p.user.id}`])),
  };
}

const ok = <T>(data: T): Ack<T> => ({ ok: true, data });

/** A socket whose acks the test gives out, and whose server events the test pushes. */
class FakeTransport implements RoomTransport {
  sent: { event: string; payload: unknown; answer: (ack: Ack<unknown>) => void }[] = [];
  private handlers = new Map<string, Set<(payload: never) => void>>();
  private connected = new Set<() => void>();
  /** Acks given at once, by event (others wait for `answer`). */
  auto: Record<string, Ack<unknown>> = { 'room:leave': ok(null), 'room:mute': ok(null) };

  emit = ((event: string, payload: unknown) =>
    new Promise<Ack<unknown>>((resolve) => {
      this.sent.push({ event, payload, answer: resolve });
      const auto = this.auto[event];
      if (auto) resolve(auto);
    })) as RoomTransport['emit'];

  on = ((event: ServerEventName, handler: (payload: never) => void) => {
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    set.add(handler);
    return () => set.delete(handler);
  }) as RoomTransport['on'];

  onConnected = (handler: () => void) => {
    this.connected.add(handler);
    return () => this.connected.delete(handler);
  };

  push(event: ServerEventName, payload: unknown): void {
    for (const h of this.handlers.get(event) ?? []) (h as (p: unknown) => void)(payload);
  }

  reconnect(): void {
    for (const h of this.connected) h();
  }

  /** The last request of an event. */
  last(event: string) {
    const found = this.sent.filter((s) => s.event === event).at(-1);
    if (!found) throw new Error(`no ${event} sent`);
    return found;
  }

  count(event: string): number {
    return this.sent.filter((s) => s.event === event).length;
  }
}

function fakeEngine(): VoiceControl & { muted: boolean; updates: RoomState[]; calls: string[]; stopped: number } {
  const engine = {
    muted: false,
    calls: [] as string[],
    updates: [] as RoomState[],
    stopped: 0,
    prepare: vi.fn(async () => {
      engine.calls.push('prepare');
    }),
    start: vi.fn(() => {
      engine.calls.push('start');
    }),
    update: vi.fn((s: RoomState) => {
      engine.updates.push(s);
      if (s.participants.find((p) => p.user.id === ME)?.muted) engine.muted = true;
    }),
    stop: vi.fn(() => {
      engine.stopped += 1;
      engine.muted = false;
    }),
    setMuted: vi.fn((m: boolean) => {
      engine.muted = m;
    }),
    get isMuted() {
      return engine.muted;
    },
  };
  return engine;
}

function setup() {
  const transport = new FakeTransport();
  const engine = fakeEngine();
  const exits: string[] = [];
  const session = new RoomSession(transport, engine, { onExit: (id) => exits.push(id) });
  return { transport, engine, session, exits };
}

async function joined(stateNow = state([person(ME, 'host'), person(OTHER, 'speaker')])) {
  const t = setup();
  const joining = t.session.join(ROOM, ME);
  await vi.waitFor(() => expect(t.transport.count('room:join')).toBe(1));
  t.transport.last('room:join').answer(ok(stateNow));
  await joining;
  return t;
}

describe('RoomSession', () => {
  it('prepares the engine before joining, then follows the joined state', async () => {
    const { transport, engine, session } = setup();
    const joining = session.join(ROOM, ME, 'invite-token');
    expect(session.store.get()).toMatchObject({ status: 'joining', roomId: ROOM });
    await vi.waitFor(() => expect(transport.count('room:join')).toBe(1));
    expect(engine.calls).toEqual(['prepare', 'start']);
    expect(transport.last('room:join').payload).toEqual({ roomId: ROOM, token: 'invite-token' });
    const s = state([person(ME, 'host')]);
    transport.last('room:join').answer(ok(s));
    await joining;
    expect(session.store.get()).toMatchObject({ status: 'joined', state: s });
    expect(engine.updates.at(-1)).toBe(s);
  });

  it('shows a refused join and releases the engine', async () => {
    const { transport, engine, session } = setup();
    const joining = session.join(ROOM, ME);
    await vi.waitFor(() => expect(transport.count('room:join')).toBe(1));
    transport.last('room:join').answer({ ok: false, error: { code: 'ROOM_FULL', message: 'full' } });
    await joining;
    expect(session.store.get()).toMatchObject({ status: 'failed', error: { code: 'ROOM_FULL' } });
    expect(engine.stopped).toBe(1);
  });

  it('gives the seat back when the user left before the join was answered', async () => {
    const { transport, session } = setup();
    const joining = session.join(ROOM, ME);
    await vi.waitFor(() => expect(transport.count('room:join')).toBe(1));
    session.leaveIf(ROOM);
    transport.last('room:join').answer(ok(state([person(ME, 'host')])));
    await joining;
    expect(session.store.get().status).toBe('idle');
    expect(transport.last('room:leave').payload).toEqual({ roomId: ROOM });
  });

  it('applies live states of its room only, and ignores a state without me (older than my seat)', async () => {
    const { transport, session, engine } = await joined();
    const before = engine.updates.length;
    transport.push('room:state', state([person(ME, 'host')], uuid(777)));
    transport.push('room:state', state([person(OTHER, 'host')]));
    expect(engine.updates.length).toBe(before);
    const next = state([person(ME, 'host'), person(OTHER, 'listener')]);
    transport.push('room:state', next);
    expect(session.store.get().state).toBe(next);
    expect(engine.updates.at(-1)).toBe(next);
  });

  it('never lets an older state replace a newer one that overtook it', async () => {
    const { transport, session } = await joined();
    const older = state([person(ME, 'host')]);
    const newer = state([person(ME, 'host'), person(OTHER, 'speaker')]);
    transport.push('room:state', newer);
    transport.push('room:state', older);
    expect(session.store.get().state).toBe(newer);
  });

  it('tracks others speaking, and clears it when they are muted or leave the stage', async () => {
    const { transport, session } = await joined();
    transport.push('room:speaking-updated', { roomId: ROOM, userId: OTHER, speaking: true });
    expect(session.store.get().speaking.has(OTHER)).toBe(true);
    transport.push('room:state', state([person(ME, 'host'), person(OTHER, 'speaker', true)]));
    expect(session.store.get().speaking.has(OTHER)).toBe(false);
    transport.push('room:speaking-updated', { roomId: ROOM, userId: OTHER, speaking: true });
    transport.push('room:state', state([person(ME, 'host'), person(OTHER, 'listener')]));
    expect(session.store.get().speaking.size).toBe(0);
  });

  it('mutes at once, but unmutes only after the server agreed', async () => {
    const { transport, engine, session } = await joined();
    delete transport.auto['room:mute'];
    const muting = session.setMuted(true);
    expect(engine.muted).toBe(true);
    transport.last('room:mute').answer(ok(null));
    await muting;

    const unmuting = session.setMuted(false);
    await vi.waitFor(() => expect(transport.count('room:mute')).toBe(2));
    expect(engine.muted).toBe(true);
    transport.last('room:mute').answer({ ok: false, error: { code: 'UNAVAILABLE', message: 'timeout' } });
    expect((await unmuting).ok).toBe(false);
    expect(engine.muted).toBe(true);

    const again = session.setMuted(false);
    await vi.waitFor(() => expect(transport.count('room:mute')).toBe(3));
    transport.last('room:mute').answer(ok(null));
    await again;
    expect(engine.muted).toBe(false);
  });

  it('ends on room:closed and on removal, dropping the side chat', async () => {
    const a = await joined();
    a.transport.push('room:closed', { roomId: ROOM, reason: 'ended' });
    expect(a.session.store.get()).toMatchObject({ status: 'ended', exit: 'ended' });
    expect(a.engine.stopped).toBe(1);
    expect(a.exits).toEqual([CONV]);

    const b = await joined();
    b.transport.push('room:closed', { roomId: uuid(555), reason: 'ended' });
    expect(b.session.store.get().status).toBe('joined');
    b.transport.push('room:left', { roomId: ROOM, reason: 'removed' });
    expect(b.session.store.get()).toMatchObject({ status: 'ended', exit: 'removed' });
  });

  it('joins again after a reconnect, and says again that it is muted (a new seat starts unmuted)', async () => {
    const { transport, engine, session } = await joined();
    await session.setMuted(true);
    const mutes = transport.count('room:mute');
    transport.reconnect();
    await vi.waitFor(() => expect(transport.count('room:join')).toBe(2));
    transport.last('room:join').answer(ok(state([person(ME, 'host'), person(OTHER, 'speaker')])));
    await vi.waitFor(() => expect(transport.count('room:mute')).toBe(mutes + 1));
    expect(transport.last('room:mute').payload).toEqual({ roomId: ROOM, muted: true });
    expect(engine.muted).toBe(true);
  });

  it('treats ROOM_CLOSED on a rejoin as the room having ended', async () => {
    const { transport, session } = await joined();
    transport.reconnect();
    await vi.waitFor(() => expect(transport.count('room:join')).toBe(2));
    transport.last('room:join').answer({ ok: false, error: { code: 'ROOM_CLOSED', message: 'closed' } });
    await vi.waitFor(() => expect(session.store.get().status).toBe('ended'));
  });

  it('leaves: audio closes first, then the server is told', async () => {
    const { transport, engine, session, exits } = await joined();
    session.leave();
    expect(engine.stopped).toBe(1);
    expect(transport.last('room:leave').payload).toEqual({ roomId: ROOM });
    expect(session.store.get().status).toBe('idle');
    expect(exits).toEqual([CONV]);
  });
});
