-- ack: a job ended (settled, or dropped unpaid): it leaves the stream and
-- its record goes.
-- KEYS: 1 run, 2 record, 3 wake
-- ARGV: 1 group, 2 entry
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
redis.call('DEL', KEYS[2])
wake(KEYS[3])
return 1
