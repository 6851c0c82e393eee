-- A counted loop, as loop.s: the sum of 0 .. 10^7 - 1 = 49999995000000.
return function()
  local sum, i, n = 0, 0, 10000000
  repeat
    sum = sum + i
    i = i + 1
  until i >= n
  return sum
end
