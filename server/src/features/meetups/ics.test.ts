import ICAL from 'ical.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../test/harness.js';
import { user } from '../../test/fixtures.js';
import { toIcs } from './ics.js';
import { createMeetup } from './meetups.suite.js';

describe('calendar (.ics)', () => {
  it('writes RFC 5545 that a parser reads back with the same times and escaped text', () => {
    const ics = toIcs({
      uid: 'abc@hackmeshi',
      title: 'Rust; async, and \\ backslashes',
      description: '一行目\n二行目 '.repeat(20),
      startsAt: new Date('2026-12-01T10:00:00Z'),
      endsAt: new Date('2026-12-01T12:30:00Z'),
      location: '渋谷, 東京',
      url: 'https://meet.example.org/x',
      organizer: 'Ada, "the" organizer',
      cancelled: false,
      updatedAt: new Date('2026-11-22T00:00:00Z'),
    });
    expect(ics.split('\r\n').every((line) => Buffer.byteLength(line) <= 75)).toBe(true);
    const event = new ICAL.Event(new ICAL.Component(ICAL.parse(ics)).getFirstSubcomponent('vevent')!);
    expect(event.summary).toBe('Rust; async, and \\ backslashes');
    expect(event.location).toBe('渋谷, 東京');
    expect(event.description).toBe('一行目\n二行目 '.repeat(20));
    expect(event.startDate.toJSDate().toISOString()).toBe('2026-12-01T10:00:00.000Z');
    expect(event.endDate.toJSDate().toISOString()).toBe('2026-12-01T12:30:00.000Z');
    expect(event.uid).toBe('abc@hackmeshi');
  });

  describe('download', () => {
    let srv: TestServer;
    beforeAll(async () => {
      srv = await startTestServer();
    });

    it('serves each meetup as text/calendar, with the online link only for confirmed attendees', async () => {
      const organizer = await user(srv);
      const attendee = await user(srv);
      const other = await user(srv);
      const m = await createMeetup(organizer, { venue: null, onlineUrl: 'https://meet.example.org/secret', capacity: 1 });
      await attendee.call({ method: 'PUT', url: `/api/meetups/${m.id}/rsvp` });
      const get = (u: typeof attendee) => srv.app.inject({ method: 'GET', url: `/api/meetups/${m.id}/ics`, headers: { cookie: u.cookie } });
      const mine = await get(attendee);
      expect(mine.headers['content-type']).toMatch(/^text\/calendar/);
      const event = new ICAL.Event(new ICAL.Component(ICAL.parse(mine.body)).getFirstSubcomponent('vevent')!);
      expect(event.summary).toBe('Rust 勉強会');
      expect(mine.body).toContain('https://meet.example.org/secret');
      const theirs = await get(other);
      expect(theirs.statusCode).toBe(200);
      expect(theirs.body).not.toContain('meet.example.org/secret');
      expect((await srv.app.inject({ method: 'GET', url: `/api/meetups/${m.id}/ics` })).statusCode).toBe(401);
    });
  });
});
