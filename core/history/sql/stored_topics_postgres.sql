-- Each topic's latest reading since $1 (ISO-8601 UTC) and its count since then; ${table} is validated and quoted.
-- The time condition lets the BRIN index skip older data, so the cost follows the window, not the table.
SELECT DISTINCT ON (topic) topic, (extract(epoch from received_at) * 1000000)::bigint, payload::text,
       count(*) OVER (PARTITION BY topic)
FROM ${table}
WHERE received_at >= $1::timestamptz
ORDER BY topic, received_at DESC
