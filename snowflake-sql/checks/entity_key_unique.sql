-- Guards: a current view holds one row per entity (schemas/tables.json's entity_key), whatever the runs loaded.
-- Per: current view
WITH duplicated AS (
    SELECT {{entity_text}} AS example
    FROM {{view}} AS t
    GROUP BY {{entity_columns}}
    HAVING COUNT(*) > 1
)
SELECT
    '{{view}}' AS table_name,
    'entity_key_unique' AS check_name,
    COUNT(*) = 0 AS passed,
    CASE
        WHEN COUNT(*) = 0 THEN 'one row per ({{entity_names}})'
        ELSE CAST(COUNT(*) AS VARCHAR) || ' ({{entity_names}}) with more than one current row, e.g. ' || MIN(example)
    END AS detail
FROM duplicated;
