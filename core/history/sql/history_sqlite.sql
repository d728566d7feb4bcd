-- One history plot, aggregated by SQLite in one pass without GROUP BY (SQLite has no hash aggregate; grouping by
-- bucket would sort every row): iot_buckets() folds each row into its topic's bucket and returns every series as
-- one BLOB; iot_number() reads the JSON pointer's number from the payload's bytes. Both are C++ functions that
-- HistoryRunner registers on its own connection (history/sqlitehistoryfunctions.h).
-- ${...} are validated and quoted identifiers or fixed expressions made by HistoryQuery; ?1 = range start (µs since
-- the epoch), ?2 = bucket width (µs), ?3/?4 = the range as ISO-8601 UTC text (the stored form, which compares in
-- time order and uses the index on the time column), ?5 = range end (µs), then field, topics.
SELECT iot_buckets(${topic}, ${time}, ${value}, ?1, ?5, ?2)
FROM ${table}
WHERE ${time} >= ?3 AND ${time} < ?4 ${topic_condition}
