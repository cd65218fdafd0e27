-- wrk script: POST /api/v1/inspections, each with 5 failed items (5 hazards, or links to a
-- subject's open hazard of the same item) and 1 passed item, on subjects read from
-- SUBJECTS_FILE (one id per line), with a fresh clientId per request. Reports like latency.lua.
local items = {"ELEC-01", "ELEC-02", "ELEC-05", "EVAC-01", "EVAC-02", "EVAC-03", "EVAC-04", "LANE-01", "FIRE-02",
               "FIRE-03", "EBIKE-01"}
local subjects = {}
local counter = 0
local threads = {}
local thread_id = 0

setup = function(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
  table.insert(threads, thread)
end

init = function(args)
  for line in io.lines(os.getenv("SUBJECTS_FILE")) do table.insert(subjects, line) end
  math.randomseed(1000 + tid)
  stamp = os.date("!%Y-%m-%dT%H:%M:%S+00:00", os.time() - 120)
end

request = function()
  counter = counter + 1
  local subject = subjects[math.random(#subjects)]
  local pool = {}
  for i, v in ipairs(items) do pool[i] = v end
  local results = {}
  for i = 1, 6 do
    local j = math.random(i, #pool)
    pool[i], pool[j] = pool[j], pool[i]
    local outcome = i <= 5 and "hazard" or "pass"
    table.insert(results, string.format('{"itemCode":"%s","outcome":"%s"}', pool[i], outcome))
  end
  local body = string.format(
    '{"clientId":"bench-%d-%d-%d","subjectId":"%s","inspectedAt":"%s","inspector":"李伟",' ..
    '"team":[{"name":"李伟","department":"fireRescue"},{"name":"张敏","department":"emergencyManagement"}],' ..
    '"results":[%s]}', os.time(), tid, counter, subject, stamp, table.concat(results, ","))
  return wrk.format("POST", "/api/v1/inspections", {["Content-Type"] = "application/json",
                                                     ["Authorization"] = "Bearer " .. (os.getenv("BENCH_TOKEN") or "")}, body)
end

-- The report line comes from latency.lua.
dofile((os.getenv("BENCH_DIR") or "Benchmarks") .. "/latency.lua")
