-- One history plot, aggregated by the server: ${...} are validated and quoted identifiers or fixed expressions
-- made by HistoryQuery; $1 = bucket width (µs), $2/$3 = the range as ISO-8601 UTC text (the BRIN/b-tree index on
-- the time column narrows the scan), then the field and topics.
-- Each row's bucket (b): from PostgreSQL 14 date_bin() on the time column, the bucket's start by integer maths
-- (~8 % of the query's CPU cheaper), turned into the bucket's index once per group; before 14 the index itself,
-- the time since the range's start in whole µs (date_part on the interval is a double, exact to well under 1 µs for
-- any range of centuries, rounded by the cast; extract() is numeric since PostgreSQL 14 and much dearer).
-- ${extract} is the field as stored (a JSON value or a column), taken once per row; ${value} makes it a number or
-- NULL from j. Each subquery carries a clock_timestamp() column, unused: a subquery with a volatile function in its
-- select list is not flattened (PostgreSQL would otherwise copy the JSON extraction into every aggregate and the
-- CASE), and, unlike an OFFSET 0 fence, it still allows a parallel plan (clock_timestamp() is parallel safe), so
-- the workers extract and pre-aggregate. NULLs are skipped by the aggregates; HAVING drops buckets that hold no
-- number. The mean is the sum over the count: raw values are numeric (the JSON's own decimal digits; a float8 cast
-- per row goes through text), summed exactly and divided once in double precision.
SELECT topic, ${bucket_index} AS bucket, min(v), sum(v)::double precision / count(v), max(v), count(v)
FROM (
    SELECT topic, b, ${value} AS v, clock_timestamp() AS unflattened
    FROM (
        SELECT ${topic} AS topic, ${bucket} AS b, ${extract} AS j, clock_timestamp() AS unflattened
        FROM ${table}
        WHERE ${time} >= $2::timestamptz AND ${time} < $3::timestamptz ${topic_condition}
    ) AS e
) AS s
GROUP BY topic, b
HAVING count(v) > 0
ORDER BY topic, b
