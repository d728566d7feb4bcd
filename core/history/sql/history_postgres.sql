-- One history plot, aggregated by the server: ${...} are validated and quoted identifiers or fixed expressions
-- made by HistoryQuery; $1 = bucket width (µs), $2/$3 = the range as ISO-8601 UTC text (the BRIN/b-tree index on
-- the time column narrows the scan), then the field and topics. The bucket is the time since the range's start in
-- whole µs: date_part on the interval is a double (exact to well under 1 µs for any range of centuries), rounded by
-- the cast, and much cheaper per row than extract(), which is numeric since PostgreSQL 14.
-- The value is computed once per row, and the plan stays parallel (partial aggregates in the workers): unnest() of a
-- one-element array is a set-returning function, so the planner neither flattens the subquery (which would copy the
-- JSON extraction into each aggregate) nor pushes anything into it, and it knows unnest(ARRAY[x]) yields one row per
-- row, so its estimates stay right. (An OFFSET 0 fence did the same but forbids a parallel plan.) Non-numbers are
-- NULL, skipped by the aggregates; HAVING drops buckets that hold none. The mean is the sum over the count: raw
-- values are numeric (the JSON's own decimal digits; no float8 cast per row, which goes through text), summed
-- exactly and divided once in double precision.
SELECT topic, bucket, min(v), sum(v)::double precision / count(v), max(v), count(v)
FROM (
    SELECT ${topic} AS topic,
           (date_part('epoch', ${time} - $2::timestamptz) * 1000000)::bigint / $1::bigint AS bucket,
           unnest(ARRAY[${value}]) AS v
    FROM ${table}
    WHERE ${time} >= $2::timestamptz AND ${time} < $3::timestamptz ${topic_condition}
) AS s
GROUP BY topic, bucket
HAVING count(v) > 0
ORDER BY topic, bucket
