-- Matrix multiply of two 32×32 float matrices, as matmul.s: A[i][j] = i + j,
-- B[i][j] = i - j, C = A × B in flat arrays; returns the sum of C (2793472.0).
return function()
  local n, a, b, c, sum = 32, {}, {}, {}, 0.0
  for i = 0, n - 1 do
    for j = 0, n - 1 do
      a[i * n + j] = (i + j) + 0.0
      b[i * n + j] = (i - j) + 0.0
    end
  end
  for i = 0, n - 1 do
    for j = 0, n - 1 do
      local acc = 0.0
      for k = 0, n - 1 do
        acc = acc + a[i * n + k] * b[k * n + j]
      end
      c[i * n + j] = acc
      sum = sum + acc
    end
  end
  return sum
end
