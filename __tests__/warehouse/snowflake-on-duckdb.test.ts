import { LocalWarehouse } from '../../local/warehouse/local-warehouse';
import { duckdbSpelling } from '../../local/warehouse/snowflake-on-duckdb';
import { viewDefinitions } from '../../warehouse/snowflake-sql';

describe('duckdbSpelling: the two Snowflake spellings DuckDB does not parse', () => {
  test("quotes DATEADD's bare date part for the dateadd macro", () => {
    expect(duckdbSpelling('SELECT CAST(DATEADD(day, 1 - DAYOFWEEKISO(d), d) AS DATE), dateadd( Week ,2, d) FROM t')).toBe(
      "SELECT CAST(DATEADD('day', 1 - DAYOFWEEKISO(d), d) AS DATE), DATEADD('Week',2, d) FROM t",
    );
  });

  test("moves LISTAGG's WITHIN GROUP order into the call, across nested calls and strings with parentheses", () => {
    expect(
      duckdbSpelling(
        "SELECT LISTAGG(COALESCE(a, ')'), ', ') WITHIN GROUP (ORDER BY p, q DESC) AS names, LISTAGG(x) AS plain,\n" +
          'listagg(y, \'|\')\n  within group ( order by LENGTH(y) ) AS other FROM t',
      ),
    ).toBe(
      "SELECT LISTAGG(COALESCE(a, ')'), ', ' ORDER BY p, q DESC) AS names, LISTAGG(x) AS plain,\n" +
        "listagg(y, '|' order by LENGTH(y)) AS other FROM t",
    );
  });

  test('leaves every other statement as it is', () => {
    const untouched = viewDefinitions().filter((v) => !/\b(DATEADD|LISTAGG)\b/i.test(v.createStatement));
    expect(untouched.length).toBeGreaterThan(10);
    for (const view of untouched) expect(duckdbSpelling(view.createStatement)).toBe(view.createStatement);
  });
});

describe("the local warehouse's macros give DuckDB Snowflake's functions", () => {
  let warehouse: LocalWarehouse;
  beforeAll(async () => {
    warehouse = await LocalWarehouse.open(':memory:');
  });
  afterAll(async () => {
    await warehouse.close();
  });

  test('DAYOFWEEKISO is 1 for Monday to 7 for Sunday; on a TIMESTAMPTZ, of its UTC day', async () => {
    const { rows } = await warehouse.query(
      `SELECT DAYOFWEEKISO(DATE '2026-11-30'), DAYOFWEEKISO(DATE '2026-12-06'), DAYOFWEEKISO(TIMESTAMP '2026-12-06 23:59:59'),
              DAYOFWEEKISO(TIMESTAMPTZ '2026-12-06 23:30:00-08')`,
    );
    expect(rows).toEqual([[1, 7, 7, 1]]);
  });

  test("the views' week start: the Monday of the ISO week, Sunday included", async () => {
    const { rows } = await warehouse.query(
      duckdbSpelling(
        `SELECT CAST(DATEADD(day, 1 - DAYOFWEEKISO(d), d) AS DATE) AS week_start
         FROM (VALUES (DATE '2026-11-30'), (DATE '2026-12-02'), (DATE '2026-12-06'), (DATE '2026-01-01')) AS v(d) ORDER BY d`,
      ),
    );
    expect(rows).toEqual([['2025-12-29'], ['2026-11-30'], ['2026-11-30'], ['2026-11-30']]);
  });

  test('DATEADD adds seconds, minutes, hours, days, weeks, months (to the month end, as Snowflake) and years; other parts fail naming themselves', async () => {
    const { rows } = await warehouse.query(
      duckdbSpelling(
        `SELECT CAST(DATEADD(day, -1, DATE '2026-03-01') AS DATE), CAST(DATEADD(week, 2, DATE '2026-12-06') AS DATE),
                CAST(DATEADD(month, 1, DATE '2026-01-31') AS DATE), CAST(DATEADD(year, -1, DATE '2024-02-29') AS DATE)`,
      ),
    );
    expect(rows).toEqual([['2026-02-28', '2026-12-20', '2026-02-28', '2023-02-28']]);
    const { rows: times } = await warehouse.query(
      duckdbSpelling(`SELECT DATEADD(hour, -192, TIMESTAMP '2026-12-07 06:00:00'), DATEADD(minute, 90, TIMESTAMP '2026-12-07 06:00:00')`),
    );
    expect(times).toEqual([['2026-11-29T06:00:00.000Z', '2026-12-07T07:30:00.000Z']]);
    expect((await warehouse.query(duckdbSpelling(`SELECT DATEADD(second, 90, DATE '2026-12-06')`))).rows).toEqual([['2026-12-06T00:01:30.000Z']]);
    await expect(warehouse.query(duckdbSpelling(`SELECT DATEADD(quarter, 1, DATE '2026-12-06')`))).rejects.toThrow(
      /DATEADD\(quarter, \.\.\.\) has no DuckDB macro/,
    );
  });

  test("LISTAGG ... WITHIN GROUP keeps the group's order on DuckDB", async () => {
    const { rows } = await warehouse.query(
      duckdbSpelling(`SELECT LISTAGG(x, ', ') WITHIN GROUP (ORDER BY y) FROM (VALUES ('b', 2), ('c', 3), ('a', 1)) AS v(x, y)`),
    );
    expect(rows).toEqual([['a, b, c']]);
  });
});
