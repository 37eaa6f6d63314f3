-- keep: store a job's output in its record, only while the record exists.
-- KEYS: 1 record
-- ARGV: 1 output json
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.call('HSET', KEYS[1], 'out', ARGV[1])
end
return 0
