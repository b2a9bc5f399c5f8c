-- One PostgREST v12 request, POST /rpc/ping with a signed-in user's token,
-- statement for statement as PostgREST sends it (values as bind parameters).
-- Variables (pgbench -D): active (each request draws one of sessions
-- 1..active), users, hook (0: no db-pre-request, 1: auth_require_session,
-- 2: a pre-request that does nothing, 3: none, the check runs inside the query
-- through jcv_logout.require_session), search_path, role, method, path,
-- headers, cookies.
-- The claims are built on the server from the session number (pgbench has no
-- string functions); every variant pays that alike. (A space follows the
-- colon before false: pgbench would read ":false" as a variable.)
\set n random(1, :active)
\set u 1 + (:n - 1) % :users
-- PostgREST v12 runs a call of a STABLE function READ ONLY, POST or not.
begin isolation level read committed read only;
select set_config('search_path', :search_path, true), set_config('role', :role, true), set_config('request.jwt.claims', pg_catalog.format('{"aal":"aal1","amr":[{"method":"password","timestamp":1764000000}],"app_metadata":{"provider":"email","providers":["email"]},"aud":"authenticated","email":"user%s@example.com","exp":4102444800,"iat":1764000000,"is_anonymous": false,"iss":"https://abcdefghijklmnop.supabase.co/auth/v1","phone":"","role":"authenticated","session_id":"%s","sub":"%s","user_metadata":{}}', CAST(:u AS text), pg_catalog.md5('session' || :n)::uuid, pg_catalog.md5('user' || :u)::uuid), true), set_config('request.method', :method, true), set_config('request.path', :path, true), set_config('request.headers', :headers, true), set_config('request.cookies', :cookies, true);
\if :hook = 1
select "public"."auth_require_session"();
\elif :hook = 2
select "public"."noop_pre_request"();
\endif
WITH pgrst_source AS (SELECT pgrst_call.pgrst_scalar FROM (SELECT "public"."ping"() pgrst_scalar) pgrst_call) SELECT null::bigint AS total_result_set, 1 AS page_total, coalesce(json_agg(_postgrest_t.pgrst_scalar)->0, 'null') AS body, nullif(current_setting('response.headers', true), '') AS response_headers, nullif(current_setting('response.status', true), '') AS response_status, '' AS response_inserted FROM (SELECT "pgrst_source".* FROM "pgrst_source"    ) _postgrest_t;
commit;
