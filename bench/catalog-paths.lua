-- wrk script of bench/catalog: every request takes a random path from a file (one path a line, written by
-- bench/catalog.py paths). usage: wrk ... -s bench/catalog-paths.lua URL -- PATHS_FILE
-- Headers given with -H (the bearer token) go with every request.
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

function init(args)
  paths = {}
  for line in io.lines(args[1]) do
    paths[#paths + 1] = line
  end
  if #paths == 0 then
    error("no paths in " .. args[1])
  end
  -- each thread its own sequence
  math.randomseed(7919 * id)
end

function request()
  return wrk.format(nil, paths[math.random(#paths)])
end
