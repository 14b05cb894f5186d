-- Guards: no row of a current view has a null entity key (a row nobody can join or count).
-- Per: current view
SELECT
    '{{view}}' AS table_name,
    'entity_key_not_null' AS check_name,
    COUNT(*) = 0 AS passed,
    CASE
        WHEN COUNT(*) = 0 THEN 'no null {{entity_names}}'
        ELSE CAST(COUNT(*) AS VARCHAR) || ' rows with a null {{entity_names}}'
    END AS detail
FROM {{view}} AS t
WHERE {{entity_null_condition}};
