-- Each topic's latest reading since ?1 (ISO-8601 UTC) and its count since then; ${table} is validated and quoted.
-- SQLite takes the bare column payload from the row that holds max(received_at); the time comes back as µs.
SELECT topic,
       CAST(strftime('%s', max(received_at)) AS INTEGER) * 1000000 + CAST(substr(max(received_at), 21, 6) AS INTEGER),
       payload, count(*)
FROM ${table}
WHERE received_at >= ?1
GROUP BY topic
ORDER BY topic
