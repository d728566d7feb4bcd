-- One history plot, aggregated by SQLite: ${...} are validated and quoted identifiers or fixed expressions made by
-- HistoryQuery; ?1 = range start (µs since the epoch), ?2 = bucket width (µs), ?3/?4 = the range as ISO-8601 UTC
-- text (the stored form, which compares in time order and uses the index on the time column), then field, topics.
-- The time in µs is read exactly from the text: whole seconds by unixepoch(), the six fraction digits by substr.
SELECT topic, bucket, min(v), avg(v), max(v), count(*)
FROM (
    SELECT ${topic} AS topic,
           ((unixepoch(${time}) * 1000000 + CAST(substr(${time}, 21, 6) AS INTEGER)) - CAST(?1 AS INTEGER))
            / CAST(?2 AS INTEGER) AS bucket,
           ${value} AS v
    FROM ${table}
    WHERE ${time} >= ?3 AND ${time} < ?4 ${topic_condition}
    -- Keeps SQLite from flattening the subquery, which would parse each payload again for every aggregate.
    LIMIT -1 OFFSET 0
)
WHERE v IS NOT NULL
GROUP BY topic, bucket
ORDER BY topic, bucket
