-- One history plot, aggregated by the server: ${...} are validated and quoted identifiers or fixed expressions
-- made by HistoryQuery; $1 = range start (µs since the epoch), $2 = bucket width (µs), $3/$4 = the range as
-- ISO-8601 UTC text (so the BRIN/b-tree index on the time column narrows the scan), then the field and topics.
SELECT topic, bucket, min(v), avg(v), max(v), count(*)
FROM (
    SELECT ${topic} AS topic,
           ((extract(epoch from ${time}) * 1000000)::bigint - $1::bigint) / $2::bigint AS bucket,
           ${value} AS v
    FROM ${table}
    WHERE ${time} >= $3::timestamptz AND ${time} < $4::timestamptz ${topic_condition}
) AS s
WHERE v IS NOT NULL
GROUP BY topic, bucket
ORDER BY topic, bucket
