-- One PostgREST v12 request, GET /todos?select=* with a signed-in user's
-- token: that user's 10 rows of public.todos, found by row level security's
-- policy through the index on user_id. Statement for statement as PostgREST
-- v12.2.12 sends it: a read runs READ ONLY (Plan.hs, wrappedReadPlan), BEGIN as
-- hasql-transaction 1.0.1 words it, the read as Query/Statements.hs
-- prepareRead builds it without a count (no Prefer: count), without LIMIT (no
-- db-max-rows) and with the json_agg of Accept: */*.
-- Variables and hooks as in bench/postgrest_rpc.sql; session n belongs to
-- user u, whose rows the claims' sub lets through.
\set n random(1, :active)
\set u 1 + (:n - 1) % :users
BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY;
select set_config('search_path', :search_path, true), set_config('role', :role, true), set_config('request.jwt.claims', pg_catalog.format('{"aal":"aal1","amr":[{"method":"password","timestamp":1764000000}],"app_metadata":{"provider":"email","providers":["email"]},"aud":"authenticated","email":"user%s@example.com","exp":4102444800,"iat":1764000000,"is_anonymous": false,"iss":"https://abcdefghijklmnop.supabase.co/auth/v1","phone":"","role":"authenticated","session_id":"%s","sub":"%s","user_metadata":{}}', CAST(:u AS text), pg_catalog.md5('session' || :n)::uuid, pg_catalog.md5('user' || :u)::uuid), true), set_config('request.method', :method, true), set_config('request.path', :path, true), set_config('request.headers', :headers, true), set_config('request.cookies', :cookies, true);
\if :hook = 1
select "public"."auth_require_session"();
\elif :hook = 2
select "public"."noop_pre_request"();
\endif
WITH pgrst_source AS ( SELECT "public"."todos".* FROM "public"."todos"      )  SELECT null::bigint AS total_result_set, pg_catalog.count(_postgrest_t) AS page_total, coalesce(json_agg(_postgrest_t), '[]') AS body, nullif(current_setting('response.headers', true), '') AS response_headers, nullif(current_setting('response.status', true), '') AS response_status, '' AS response_inserted FROM ( SELECT * FROM pgrst_source ) _postgrest_t;
COMMIT;
