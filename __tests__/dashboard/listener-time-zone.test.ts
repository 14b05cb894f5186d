/**
 * Each listener's own time zone (config listeners[].timeZone), which `pipeline dashboard` hands the page as
 * $DASHBOARD_TIME_ZONES: validated as an IANA name when the configuration loads, UTC when absent.
 */
import { dashboardTimeZones, ListenersSchema } from '../../config/listeners';

describe('listener time zones', () => {
  test('an IANA name is kept; a listener without one is in UTC', () => {
    const listeners = ListenersSchema.parse([{ name: 'mira', timeZone: 'America/New_York' }, { name: 'theo' }]);
    expect(JSON.parse(dashboardTimeZones(listeners))).toEqual({ mira: 'America/New_York', theo: 'UTC' });
  });

  test('the implicit listener is in UTC', () => {
    expect(JSON.parse(dashboardTimeZones([]))).toEqual({ me: 'UTC' });
  });

  test('a name that is not a time zone is an error naming it and what to write', () => {
    const result = ListenersSchema.safeParse([{ name: 'mira', timeZone: 'Berlin' }]);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]).toMatchObject({
      path: [0, 'timeZone'],
      message: 'timeZone "Berlin" is not an IANA time zone name: use one like "Europe/Berlin", "America/New_York" or "UTC"',
    });
  });
});
