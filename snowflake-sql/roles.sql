-- Roles and grants of the warehouse. The loader role owns nothing but may write the loaded tables
-- through the pipes; the analyst role reads tables and views and changes nothing. Both roll up to SYSADMIN
-- so administrators keep control. Placeholders are filled by the warehouse stack (local/warehouse/snowflake-sql.ts).
-- The third role of the stack, <PREFIX>_PLANNER (Terraform plans of main: sees every object, reads no row), exists
-- only in the warehouse stack: its grants follow the provider's reads (constructs/planner-reads.ts).
CREATE ROLE IF NOT EXISTS {{loader_role}} COMMENT = 'Snowpipe loader: COPY from the processed stage into the loaded tables';
CREATE ROLE IF NOT EXISTS {{analyst_role}} COMMENT = 'Read-only analyst: tables, views and analysis queries';
GRANT ROLE {{loader_role}} TO ROLE SYSADMIN;
GRANT ROLE {{analyst_role}} TO ROLE SYSADMIN;

-- Loader: read the stage and file format, insert into the loaded tables, operate the pipes.
GRANT USAGE ON DATABASE {{database}} TO ROLE {{loader_role}};
GRANT USAGE ON SCHEMA {{database}}.{{schema}} TO ROLE {{loader_role}};
GRANT USAGE ON STAGE {{database}}.{{schema}}.{{stage}} TO ROLE {{loader_role}};
GRANT USAGE ON FILE FORMAT {{database}}.{{schema}}.{{file_format}} TO ROLE {{loader_role}};
GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA {{database}}.{{schema}} TO ROLE {{loader_role}};
GRANT SELECT, INSERT ON FUTURE TABLES IN SCHEMA {{database}}.{{schema}} TO ROLE {{loader_role}};
GRANT OPERATE, MONITOR ON ALL PIPES IN SCHEMA {{database}}.{{schema}} TO ROLE {{loader_role}};
GRANT OPERATE, MONITOR ON FUTURE PIPES IN SCHEMA {{database}}.{{schema}} TO ROLE {{loader_role}};

-- Analyst: query the warehouse; read every table (history) and view; watch the pipes; write nothing.
GRANT USAGE ON WAREHOUSE {{warehouse}} TO ROLE {{analyst_role}};
GRANT USAGE ON DATABASE {{database}} TO ROLE {{analyst_role}};
GRANT USAGE ON SCHEMA {{database}}.{{schema}} TO ROLE {{analyst_role}};
GRANT SELECT ON ALL TABLES IN SCHEMA {{database}}.{{schema}} TO ROLE {{analyst_role}};
GRANT SELECT ON FUTURE TABLES IN SCHEMA {{database}}.{{schema}} TO ROLE {{analyst_role}};
GRANT SELECT ON ALL VIEWS IN SCHEMA {{database}}.{{schema}} TO ROLE {{analyst_role}};
GRANT SELECT ON FUTURE VIEWS IN SCHEMA {{database}}.{{schema}} TO ROLE {{analyst_role}};
GRANT MONITOR ON ALL PIPES IN SCHEMA {{database}}.{{schema}} TO ROLE {{analyst_role}};
GRANT MONITOR ON FUTURE PIPES IN SCHEMA {{database}}.{{schema}} TO ROLE {{analyst_role}};
