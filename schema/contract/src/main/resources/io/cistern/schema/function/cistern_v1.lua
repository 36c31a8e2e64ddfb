#!lua name=cistern_v1
--[[
Cistern's Redis Function library, protocol version 1. See docs/protocol.md.

Every write is one FCALL with three keys of one partition p (one hash tag, one cluster slot):
  KEYS[1] = {prefix}:{p}:r:{table}:{key}   the record hash
  KEYS[2] = {prefix}:{p}:s                 the partition stream
  KEYS[3] = {prefix}:{p}:m                 the partition meta hash
and ARGV = table, key [, column, json-value]... [, 'g=' .. generation]

The optional last argument names the registration of the table the caller judged the write by: the generation
published beside the table spec in the meta hash (g:{table}). When both are there and differ, the write is refused
with CISTERN_STALE_REGISTRY (retryable: reload the registry and judge the write again), so a writer holding an older
registration (a column since dropped or retyped) never has a write accepted by it. Plain-Redis producers send none.

In one atomic step a write checks its input against the table spec published in the meta hash, enforces
backpressure, assigns the next version of the partition (always above the floor the sync worker records in
PostgreSQL), updates the record hash and appends the change entry. It returns {version, entry-id}.

Errors start with CISTERN_<CODE>: BADARGS, BADKEY, UNKNOWN_TABLE, UNKNOWN_COLUMN, TOO_LARGE, DELETED, CHECK
(permanent); NOFLOOR, UNCONFIRMED, BACKPRESSURE, STALE_REGISTRY (retry later).

CHECK: the table spec may carry, after its columns, the CHECK conditions whose verdict Lua knows exactly (IN / NOT IN
/ = / <> over text, those and < <= > >= over integers within 2^53, IS NOT NULL; see FunctionChecks in Java). A NULL
passes every condition but IS NOT NULL; a value the library cannot read exactly (an integer of more than 15 digits,
a JSON value of another type) is left to PostgreSQL.

A Redis can come back with a shorter history than PostgreSQL has seen: a replica promoted before it received the last
writes, a restart from an AOF written with appendfsync everysec, a snapshot restored. Its meta hash then holds a seq
below versions the sync worker already applied, and versions issued from it would lose to the version guard. So a
partition issues versions only once this server process has confirmed its floor against PostgreSQL's: the sync worker
(or `ops/cistern init`) calls cistern_confirm_v1 / cistern_seed_v1 with the highest version PostgreSQL may hold, and
the library remembers it in CONFIRMED below. That table lives in this Lua state alone: it is never written to the
AOF or an RDB snapshot and never replicated (scripts replicate their effects, not their calls), so every restart,
failover, snapshot restore or library reload starts with no partition confirmed, and writes are refused with
CISTERN_UNCONFIRMED (retryable) until the worker has raised the floor on this server.
]]

local REVISION = 9

-- Meta keys of the partitions whose floor a sync worker or init confirmed on this server process (see above).
local CONFIRMED = {}

-- Versions are Lua numbers (doubles): exact up to 2^53 - 1, far above what any partition will issue.
local MAX_VERSION = 9007199254740991

-- Built on first use (the bit library is not available while the library loads): CRC_TABLE[i] is the CRC register
-- after 8 zero bits from i, CRC_TABLE16[i] after 16, so the loop below takes two bytes a step.
local CRC_TABLE, CRC_TABLE16 = nil, nil

local function crc_tables()
  local band, bxor, rshift = bit.band, bit.bxor, bit.rshift
  local t8, t16 = {}, {}
  for i = 0, 255 do
    local c = i
    for _ = 1, 8 do
      if band(c, 1) == 1 then
        c = bxor(rshift(c, 1), 0xEDB88320)
      else
        c = rshift(c, 1)
      end
    end
    t8[i] = c
  end
  for i = 0, 65535 do
    local c = bxor(rshift(i, 8), t8[band(i, 0xFF)])
    t16[i] = bxor(rshift(c, 8), t8[band(c, 0xFF)])
  end
  return t8, t16
end

-- IEEE CRC-32 of a byte string, as an unsigned number (zlib's crc32). The hottest loop of every write: the bit
-- functions are looked up once per call (a global costs a table lookup each time in Lua 5.1), the bytes are fetched
-- in one call, and each step takes two bytes.
local function crc32(s)
  if not CRC_TABLE then
    CRC_TABLE, CRC_TABLE16 = crc_tables()
  end
  local t8, t16, band, bxor, rshift = CRC_TABLE, CRC_TABLE16, bit.band, bit.bxor, bit.rshift
  local bytes = { string.byte(s, 1, -1) }
  local n = #bytes
  local c = 0xFFFFFFFF
  local i = 1
  while i < n do
    c = bxor(rshift(c, 16), t16[band(bxor(c, bytes[i] + bytes[i + 1] * 256), 0xFFFF)])
    i = i + 2
  end
  if i == n then
    c = bxor(rshift(c, 8), t8[band(bxor(c, bytes[i]), 0xFF)])
  end
  c = bxor(c, 0xFFFFFFFF)
  if c < 0 then
    c = c + 4294967296
  end
  return c
end

-- The column names of a table spec as a set, kept per spec text: there is one text per registered table, and a
-- table registered again publishes a new one (the cache starts over when it holds 256 texts).
local COLUMN_SETS, COLUMN_SET_COUNT = {}, 0

local function column_set(columns)
  local set = COLUMN_SETS[columns]
  if set == nil then
    if COLUMN_SET_COUNT >= 256 then
      COLUMN_SETS, COLUMN_SET_COUNT = {}, 0
    end
    set = {}
    for name in string.gmatch(columns, '[^,]+') do
      set[name] = true
    end
    COLUMN_SETS[columns] = set
    COLUMN_SET_COUNT = COLUMN_SET_COUNT + 1
  end
  return set
end

-- Whether byte b may stand as it is in an encoded key (A-Z a-z 0-9 - . _ ~), and so must never be escaped.
local function unreserved(b)
  return (b >= 48 and b <= 57) or (b >= 65 and b <= 90) or (b >= 97 and b <= 122)
    or b == 45 or b == 46 or b == 95 or b == 126
end

-- What is wrong with the %-escapes of a key whose characters are all allowed, or nil: the encoding is canonical (one
-- key, one text, one Redis key and one partition), so each escape is '%' and two upper-case hex digits, escapes a byte
-- that may not stand as it is, and the escaped bytes spell whole UTF-8 characters. As KeyEncoding.decode in Java.
local function escape_problem(key)
  local at = string.find(key, '%', 1, true)
  local need, lo, hi, next_at = 0, 0x80, 0xBF, nil
  while at do
    if need > 0 and at ~= next_at then
      return 'breaks off a UTF-8 character'
    end
    local hex = string.sub(key, at + 1, at + 2)
    if not string.find(hex, '^[0-9A-F][0-9A-F]$') then
      return 'has a bad %-escape "%' .. hex .. '": use two upper-case hex digits (0-9, A-F)'
    end
    local b = tonumber(hex, 16)
    if need > 0 then
      if b < lo or b > hi then
        return 'is not valid UTF-8 once decoded'
      end
      need, lo, hi = need - 1, 0x80, 0xBF
    elseif b < 0x80 then
      if unreserved(b) then
        return 'escapes "' .. string.char(b) .. '", which must be written as is (the encoding is canonical)'
      end
    elseif b >= 0xC2 and b <= 0xDF then
      need = 1
    elseif b == 0xE0 then
      need, lo = 2, 0xA0
    elseif b == 0xED then
      need, hi = 2, 0x9F
    elseif b >= 0xE1 and b <= 0xEF then
      need = 2
    elseif b == 0xF0 then
      need, lo = 3, 0x90
    elseif b == 0xF4 then
      need, hi = 3, 0x8F
    elseif b >= 0xF1 and b <= 0xF3 then
      need = 3
    else
      return 'is not valid UTF-8 once decoded'
    end
    next_at = at + 3
    at = string.find(key, '%', next_at, true)
  end
  if need > 0 then
    return 'breaks off a UTF-8 character'
  end
  return nil
end

local function fail(code, message)
  return redis.error_reply('CISTERN_' .. code .. ' ' .. message)
end

-- Checks the keys and arguments of a write; returns the context or an error reply.
-- The CHECK conditions of a table spec, decoded once per spec text (the cache starts over when it holds 256).
local CHECK_LISTS, CHECK_LIST_COUNT = {}, 0

local function check_list(text)
  local list = CHECK_LISTS[text]
  if list == nil then
    if CHECK_LIST_COUNT >= 256 then
      CHECK_LISTS, CHECK_LIST_COUNT = {}, 0
    end
    list = cjson.decode(text)
    for _, c in ipairs(list) do
      c.set = {}
      for _, v in ipairs(c.v or {}) do
        if c.t == 'int' then
          c.set[tonumber(v)] = true
        else
          c.set[v] = true
        end
      end
      if c.t == 'int' and c.v then
        c.num = tonumber(c.v[1])
      end
    end
    CHECK_LISTS[text] = list
    CHECK_LIST_COUNT = CHECK_LIST_COUNT + 1
  end
  return list
end

-- A carried value as a CHECK reads it: a string for text, a number for an integer of at most 15 digits (exact in a
-- double), or nil when the library cannot know it exactly.
local function check_value(json, kind)
  if kind == 'int' then
    if (json == '0' or string.match(json, '^%-?[1-9]%d*$')) and #string.gsub(json, '%-', '') <= 15 then
      return tonumber(json)
    end
    return nil
  end
  if string.byte(json, 1) ~= 34 then
    return nil
  end
  local ok, s = pcall(cjson.decode, json)
  if ok and type(s) == 'string' then
    return s
  end
  return nil
end

-- Whether condition c refuses the carried JSON value json (nil: the column is not carried).
local function check_refuses(c, json, op)
  if c.k == 'notnull' then
    if json == nil then
      return op == 'put' and c.o
    end
    return json == 'null'
  end
  if json == nil or json == 'null' then
    return false
  end
  local v = check_value(json, c.t)
  if v == nil then
    return false
  end
  if c.k == 'in' then
    return not c.set[v]
  elseif c.k == 'notin' then
    return c.set[v] == true
  elseif c.k == 'lt' then
    return not (v < c.num)
  elseif c.k == 'le' then
    return not (v <= c.num)
  elseif c.k == 'gt' then
    return not (v > c.num)
  elseif c.k == 'ge' then
    return not (v >= c.num)
  end
  return false
end

local function check_refusal(tbl, checks, args, op)
  local carried = {}
  for i = 3, #args, 2 do
    carried[args[i]] = args[i + 1]
  end
  for _, c in ipairs(check_list(checks)) do
    local json = carried[c.c]
    if check_refuses(c, json, op) then
      local shown = json or 'NULL'
      if #shown > 64 then
        shown = string.sub(shown, 1, 64) .. '...'
      end
      return fail('CHECK', 'column ' .. c.c .. ' of table ' .. tbl .. ' is ' .. shown .. ', which CHECK constraint '
        .. c.n .. ' refuses: it allows ' .. c.a)
    end
  end
  return nil
end

-- Cistern's memory guard derived from Redis (max_memory -1, the default; MemoryGuard.derivedLimit in Java says the
-- same): 90% of maxmemory when set, so back-pressure comes before Redis's OOM; else half the host's memory, the room a
-- fork for an AOF rewrite may need; else 0, no guard.
local MEMORY_CHECK_EVERY = 16
local function memory_limit(info)
  local maxmemory = tonumber(string.match(info, '\nmaxmemory:(%d+)')) or 0
  if maxmemory > 0 then
    return maxmemory - math.floor(maxmemory / 10)
  end
  local total = tonumber(string.match(info, 'total_system_memory:(%d+)')) or 0
  return math.floor(total / 2)
end

local function prepare(keys, args, op)
  if #keys ~= 3 then
    return nil, fail('BADARGS', 'expected 3 keys (record, stream, meta), got ' .. #keys)
  end
  local tbl, key = args[1], args[2]
  if tbl == nil or key == nil then
    return nil, fail('BADARGS', 'expected arguments: table, key [, column, value]...')
  end
  local prefix, p = string.match(keys[3], '^(.+):{(%d+)}:m$')
  if prefix == nil then
    return nil, fail('BADARGS', 'the third key must be the partition meta key {prefix}:{p}:m, got ' .. keys[3])
  end
  local tag = prefix .. ':{' .. p .. '}:'
  if keys[2] ~= tag .. 's' then
    return nil, fail('BADARGS', 'the second key must be the stream of the same partition, ' .. tag .. 's')
  end
  if keys[1] ~= tag .. 'r:' .. tbl .. ':' .. key then
    return nil, fail('BADARGS', 'the first key must be the record hash ' .. tag .. 'r:' .. tbl .. ':' .. key)
  end
  local meta = redis.call('HMGET', keys[3], 'floor', 'seq', 'partitions', 'max_backlog', 'max_memory',
    'max_value', 't:' .. tbl, 'g:' .. tbl, 'entry_format')
  local floor = tonumber(meta[1])
  if floor == nil then
    return nil, fail('NOFLOOR', 'partition ' .. p .. ' has no version floor in Redis (Redis lost its data or'
      .. ' Cistern is not initialised); the sync worker or `ops/cistern init` re-seeds it from PostgreSQL: retry')
  end
  if not CONFIRMED[keys[3]] then
    return nil, fail('UNCONFIRMED', 'partition ' .. p .. ': this Redis server has not confirmed the partition\'s'
      .. ' version floor with PostgreSQL since it started (a restart, a failover, a restored snapshot or a library'
      .. ' reload may have shortened its history); a sync worker or `ops/cistern init` confirms it within seconds:'
      .. ' retry')
  end
  local spec = meta[7]
  if not spec then
    return nil, fail('UNKNOWN_TABLE', 'table ' .. tbl .. ' is not registered with Cistern'
      .. ' (register it with `ops/cistern init --table ' .. tbl .. '`)')
  end
  -- The caller's generation of the table's registration, if it sent one (an odd last argument 'g=...').
  local nargs = #args
  if nargs % 2 == 1 and string.sub(args[nargs], 1, 2) == 'g=' then
    local generation = string.sub(args[nargs], 3)
    args[nargs] = nil
    if meta[8] and generation ~= meta[8] then
      return nil, fail('STALE_REGISTRY', 'table ' .. tbl .. ' was registered again (generation ' .. meta[8]
        .. ', the write was judged by ' .. generation .. '): reload the registry and judge the write again')
    end
  end
  local routing, keycount, columns, checks = string.match(spec, '^(%d+) (%d+) (%S*) ?(.*)$')
  routing, keycount = tonumber(routing), tonumber(keycount)
  -- The key: the right number of components, canonically %-encoded, and in this partition.
  local components, route_end, from = 1, nil, 1
  while true do
    local comma = string.find(key, ',', from, true)
    if comma == nil then
      break
    end
    if components == routing then
      route_end = comma - 1
    end
    components = components + 1
    from = comma + 1
  end
  if components ~= keycount then
    return nil, fail('BADKEY', 'key of table ' .. tbl .. ' has ' .. components .. ' components, needs '
      .. keycount .. ' (join the key columns with "," after %-encoding each)')
  end
  if string.find(key, '[^A-Za-z0-9%-%._~%%,]') then
    return nil, fail('BADKEY', 'key ' .. key .. ' is not %-encoded: only A-Z a-z 0-9 - . _ ~ , and %XX may appear')
  end
  local problem = escape_problem(key)
  if problem then
    return nil, fail('BADKEY', 'key ' .. key .. ' ' .. problem)
  end
  local routing_text = route_end and string.sub(key, 1, route_end) or key
  local partitions = tonumber(meta[3])
  local expected = crc32(routing_text) % partitions
  if expected ~= tonumber(p) then
    return nil, fail('BADKEY', 'key ' .. key .. ' of table ' .. tbl .. ' belongs to partition ' .. expected
      .. ' (crc32 of "' .. routing_text .. '" mod ' .. partitions .. '), not ' .. p)
  end
  -- Columns and values.
  nargs = #args
  if nargs % 2 ~= 0 then
    return nil, fail('BADARGS', 'columns and values must come in pairs, got an odd number of arguments')
  end
  if op == 'patch' and nargs == 2 then
    return nil, fail('BADARGS', 'a patch needs at least one column')
  end
  if op == 'delete' and nargs > 2 then
    return nil, fail('BADARGS', 'a delete takes no columns')
  end
  local max_value = tonumber(meta[6]) or 0
  local known = column_set(columns)
  for i = 3, nargs, 2 do
    local col, val = args[i], args[i + 1]
    if not known[col] then
      return nil, fail('UNKNOWN_COLUMN', 'table ' .. tbl .. ' has no column ' .. col)
    end
    if max_value > 0 and #val > max_value then
      return nil, fail('TOO_LARGE', 'value of column ' .. col .. ' is ' .. #val .. ' bytes, more than the limit of '
        .. max_value)
    end
    if #val == 0 then
      return nil, fail('BADARGS', 'value of column ' .. col .. ' is empty: send a JSON value ("" for an empty string,'
        .. ' null for NULL)')
    end
  end
  if checks ~= '' and op ~= 'delete' then
    local refusal = check_refusal(tbl, checks, args, op)
    if refusal then
      return nil, refusal
    end
  end
  -- Backpressure: refuse before anything changes.
  local max_backlog = tonumber(meta[4]) or 0
  if max_backlog > 0 then
    local backlog = redis.call('XLEN', keys[2])
    if backlog >= max_backlog then
      return nil, fail('BACKPRESSURE', 'partition ' .. p .. ' holds ' .. backlog .. ' entries, at or above its limit of '
        .. max_backlog .. '; retry later')
    end
  end
  local seq = tonumber(meta[2]) or 0
  if seq < floor then
    seq = floor
  end
  -- Memory: read once every MEMORY_CHECK_EVERY versions (INFO memory costs as much as the rest of a write). A refused
  -- write issues no version, so a partition at its check point stays there, refusing, until memory falls.
  local max_memory = tonumber(meta[5]) or 0
  if max_memory ~= 0 and seq % MEMORY_CHECK_EVERY == 0 then
    local info = redis.call('INFO', 'memory')
    local used = tonumber(string.match(info, 'used_memory:(%d+)'))
    local limit, basis = max_memory, ''
    if max_memory < 0 then
      limit, basis = memory_limit(info), ' (derived from Redis: 90% of maxmemory, else half the host\'s memory)'
    end
    if used and limit > 0 and used >= limit then
      return nil, fail('BACKPRESSURE', 'Redis uses ' .. used .. ' bytes, at or above the limit of ' .. limit
        .. basis .. '; retry later')
    end
  end
  if seq >= MAX_VERSION then
    return nil, fail('BADARGS', 'partition ' .. p .. ' has used every version up to 2^53 - 1')
  end
  return { p = p, tbl = tbl, key = key, version = seq + 1, packed = meta[9] == '2' }
end

-- Appends the change entry: in format 2 when the partition's meta says every live sync worker reads it (entry_format,
-- set by the workers), else in format 1. See ChangeEntry in Java and docs/protocol.md.
--   format 1: t <table> k <key> o <op> v <version> c:<column> <value> ...
--   format 2: one field e2:<op>:<table>:<column>,... whose value is <version>:<#key>:<key><#value>:<value>...
--             (#s: the byte length of s, in decimal)
local function append(keys, args, ctx, op)
  redis.call('HSET', keys[3], 'seq', ctx.version)
  local id
  if ctx.packed then
    local key = ctx.key
    local names = { 'e2:', op, ':', ctx.tbl, ':' }
    local parts = { string.format('%d', ctx.version), ':', #key, ':', key }
    for i = 3, #args, 2 do
      if i > 3 then
        names[#names + 1] = ','
      end
      names[#names + 1] = args[i]
      local v = args[i + 1]
      parts[#parts + 1] = #v
      parts[#parts + 1] = ':'
      parts[#parts + 1] = v
    end
    id = redis.call('XADD', keys[2], '*', table.concat(names), table.concat(parts))
  else
    local entry = { 't', ctx.tbl, 'k', ctx.key, 'o', op, 'v', ctx.version }
    for i = 3, #args, 2 do
      entry[#entry + 1] = 'c:' .. args[i]
      entry[#entry + 1] = args[i + 1]
    end
    id = redis.call('XADD', keys[2], '*', unpack(entry))
  end
  return { ctx.version, id }
end

local function record_fields(args, ctx, state)
  local fields = { 'v', ctx.version, 's', state }
  for i = 3, #args, 2 do
    fields[#fields + 1] = 'c:' .. args[i]
    fields[#fields + 1] = args[i + 1]
  end
  return fields
end

-- Makes the hash at key hold exactly these fields, with no TTL (it holds unsynced state). Written over, never deleted
-- and created again: in a Redis Cluster slot that is migrating, a key this script deleted counts as moved away, and
-- the next command on it would abort the call half done (the hash gone, no change entry appended).
local function replace_hash(key, fields)
  local keep = {}
  for i = 1, #fields, 2 do
    keep[fields[i]] = true
  end
  local stale = {}
  for _, field in ipairs(redis.call('HKEYS', key)) do
    if not keep[field] then
      stale[#stale + 1] = field
    end
  end
  redis.call('HSET', key, unpack(fields))
  if #stale > 0 then
    redis.call('HDEL', key, unpack(stale))
  end
  redis.call('PERSIST', key)
end

local function put(keys, args)
  local ctx, err = prepare(keys, args, 'put')
  if not ctx then
    return err
  end
  -- A fresh hash: replaces every column.
  replace_hash(keys[1], record_fields(args, ctx, 'put'))
  return append(keys, args, ctx, 'put')
end

local function patch(keys, args)
  local ctx, err = prepare(keys, args, 'patch')
  if not ctx then
    return err
  end
  local state = redis.call('HGET', keys[1], 's')
  if state == 'deleted' then
    return fail('DELETED', 'record ' .. args[2] .. ' of table ' .. args[1] .. ' is deleted; put it instead of'
      .. ' patching it')
  end
  -- An expired or never-seen record: the hash holds only the patched columns, marked as partial.
  redis.call('HSET', keys[1], unpack(record_fields(args, ctx, state or 'patch')))
  redis.call('PERSIST', keys[1])
  return append(keys, args, ctx, 'patch')
end

local function delete(keys, args)
  local ctx, err = prepare(keys, args, 'delete')
  if not ctx then
    return err
  end
  replace_hash(keys[1], { 'v', ctx.version, 's', 'deleted' })
  return append(keys, args, ctx, 'delete')
end

-- Raises the partition's version floor to ARGV[1] (never lowers it) and confirms it on this server; KEYS[1] = meta.
-- Returns { floor now, seq, 1 when the partition was already confirmed on this server process else 0, floor before
-- (-1 when there was none) }: the highest version this history had issued is max(seq, floor before).
local function confirm(keys, args)
  local floor = tonumber(args[1])
  if #keys ~= 1 or floor == nil then
    return fail('BADARGS', 'expected the meta key and a floor')
  end
  if floor < 0 or floor > MAX_VERSION then
    return fail('BADARGS', 'a floor must be between 0 and 2^53 - 1 (exact in Lua), got ' .. args[1])
  end
  local meta = redis.call('HMGET', keys[1], 'floor', 'seq')
  local current = tonumber(meta[1])
  local before = current or -1
  if current == nil or current < floor then
    redis.call('HSET', keys[1], 'floor', floor)
    current = floor
  end
  local was = CONFIRMED[keys[1]] and 1 or 0
  CONFIRMED[keys[1]] = true
  return { current, tonumber(meta[2]) or 0, was, before }
end

-- As confirm, returning only the floor now in force (the protocol-1 seed call).
local function seed(keys, args)
  local r = confirm(keys, args)
  if r.err then
    return r
  end
  return r[1]
end

redis.register_function('cistern_put_v1', put)
redis.register_function('cistern_patch_v1', patch)
redis.register_function('cistern_delete_v1', delete)
redis.register_function('cistern_seed_v1', seed)
redis.register_function('cistern_confirm_v1', confirm)
redis.register_function {
  function_name = 'cistern_info_v1',
  callback = function()
    return { 'protocol', 1, 'revision', REVISION }
  end,
  flags = { 'no-writes' }
}
