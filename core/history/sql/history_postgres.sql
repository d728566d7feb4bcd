-- One history plot, aggregated by the server: ${...} are validated and quoted identifiers or fixed expressions
-- made by HistoryQuery; $1 = bucket width (µs), $2/$3 = the range as ISO-8601 UTC text (the BRIN/b-tree index on
-- the time column narrows the scan), then the field and topics. The bucket is the time since the range's start in
-- whole µs: date_part on the interval is a double (exact to well under 1 µs for any range of centuries), rounded by
-- the cast, and much cheaper per row than extract(), which is numeric since PostgreSQL 14.
SELECT topic, bucket, min(v), avg(v), max(v), count(*)
FROM (
    SELECT ${topic} AS topic,
           (date_part('epoch', ${time} - $2::timestamptz) * 1000000)::bigint / $1::bigint AS bucket,
           ${value} AS v
    FROM ${table}
    WHERE ${time} >= $2::timestamptz AND ${time} < $3::timestamptz ${topic_condition}
    -- A fence: unflattened, the JSON value is taken once per row (not again by each aggregate and the NULL test),
    -- and the planner, guessing few groups, aggregates in a small hash table instead of sorting every row.
    OFFSET 0
) AS s
WHERE v IS NOT NULL
GROUP BY topic, bucket
ORDER BY topic, bucket
