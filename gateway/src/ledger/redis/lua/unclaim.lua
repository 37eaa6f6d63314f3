-- unclaim (redeem, on the code's slot): give back the use a user claimed
-- when step 2 refused the grant (a plan held), so the code stays redeemable.
-- KEYS: 1 code hash, 2 code users set
-- ARGV: 1 user
-- Returns 1 if a use was given back, 0 if the user held none.
if redis.call('SREM', KEYS[2], ARGV[1]) == 1 then
  redis.call('HINCRBY', KEYS[1], 'uses', -1)
  return 1
end
return 0
