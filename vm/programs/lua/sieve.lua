-- Sieve of Eratosthenes, as sieve.s: the number of primes below 100000 (9592).
return function()
  local n, flags, count = 100000, {}, 0
  for i = 0, n - 1 do flags[i] = 1 end
  for i = 2, n - 1 do
    if flags[i] ~= 0 then
      count = count + 1
      local j = i * i
      while j < n do
        flags[j] = 0
        j = j + i
      end
    end
  end
  return count
end
