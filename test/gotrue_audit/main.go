// Command gotrue_audit writes test/gotrue_audit_payloads.sql: for each case
// of sql/fidelity.sql, the audit payload text Supabase Auth writes for a
// logout of that user, built as its NewAuditLogEntry builds the map
// (internal/models/audit_log_entry.go at v2.196.0) and written by Go's own
// encoding/json, as its JSONMap.Value does (internal/models/json_map.go).
// The user's raw_user_meta_data is read as JSONMap.Scan reads it.
//
//	go run test/gotrue_audit/main.go > test/gotrue_audit_payloads.sql
//
// Standard library only. Go 1.22 or later (Supabase Auth v2.196 builds with
// Go 1.26): before 1.22, encoding/json wrote \b and \f as \u0008 and \u000c.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// The user of sql/fidelity.sql whose row each case rewrites.
const dave = "dddddddd-dddd-4ddd-8ddd-dddddddddddd"

type user struct {
	email, phone *string // NULL when nil
	isSSOUser    bool
	metadata     *string // raw_user_meta_data as text; NULL when nil
}

type testCase struct {
	name string
	user user
}

func text(s string) *string { return &s }

var cases = []testCase{
	{"email only", user{email: text("dave@example.com"), metadata: text(`{}`)}},
	{"phone before email", user{email: text("dave@example.com"), phone: text("15550199"), metadata: text(`{}`)}},
	{"empty phone, then email", user{email: text("dave@example.com"), phone: text(""), metadata: text(`{}`)}},
	{"neither email nor phone", user{metadata: text(`{}`)}},
	{"SSO user", user{email: text("dave@corp.example"), isSSOUser: true, metadata: text(`{}`)}},
	{"metadata NULL", user{email: text("dave@example.com")}},
	{"no full_name", user{email: text("dave@example.com"), metadata: text(`{"name": "Dave", "data": {"full_name": "nested"}}`)}},
	{"HTML characters", user{email: text("d&<v>@example.com"), metadata: text(`{"full_name": "<b>Tom & Jerry</b>"}`)}},
	{"quotes, backslash, slash", user{email: text("dave@example.com"), metadata: text(`{"full_name": "say \"hi\" \\ to a/b"}`)}},
	{"control characters", user{email: text("dave@example.com"), metadata: text(`{"full_name": "t\tn\nr\rb\bf\f\u0001\u001f\u007f"}`)}},
	{"line and paragraph separators", user{email: text("dave@example.com"), metadata: text(`{"full_name": "a\u2028b\u2029c"}`)}},
	{"non-ASCII", user{email: text("dåve@例え.jp"), metadata: text(`{"full_name": "Ålice 😀 مثال \u202e é"}`)}},
	{"full_name null", user{email: text("dave@example.com"), metadata: text(`{"full_name": null}`)}},
	{"full_name true", user{email: text("dave@example.com"), metadata: text(`{"full_name": true}`)}},
	{"full_name integer", user{email: text("dave@example.com"), metadata: text(`{"full_name": 42}`)}},
	{"full_name beyond 2^53", user{email: text("dave@example.com"), metadata: text(`{"full_name": 12345678901234567890}`)}},
	{"full_name 1e20", user{email: text("dave@example.com"), metadata: text(`{"full_name": 1e20}`)}},
	{"full_name 1e21", user{email: text("dave@example.com"), metadata: text(`{"full_name": 1e21}`)}},
	{"full_name 1.5e300", user{email: text("dave@example.com"), metadata: text(`{"full_name": 1.5e300}`)}},
	{"full_name 0.000001", user{email: text("dave@example.com"), metadata: text(`{"full_name": 0.000001}`)}},
	{"full_name 1e-7", user{email: text("dave@example.com"), metadata: text(`{"full_name": 1e-7}`)}},
	{"full_name -2.50", user{email: text("dave@example.com"), metadata: text(`{"full_name": -2.50}`)}},
	{"full_name 0.1", user{email: text("dave@example.com"), metadata: text(`{"full_name": 0.1}`)}},
	{"full_name 123.456e-10", user{email: text("dave@example.com"), metadata: text(`{"full_name": 123.456e-10}`)}},
	{"full_name 0", user{email: text("dave@example.com"), metadata: text(`{"full_name": 0}`)}},
	{"full_name 5e-324", user{email: text("dave@example.com"), metadata: text(`{"full_name": 5e-324}`)}},
	{"full_name array", user{email: text("dave@example.com"), metadata: text(`{"full_name": [3, "x<", {"k": "v"}, [], {}]}`)}},
	{"full_name object, keys by bytes", user{email: text("dave@example.com"),
		metadata: text(`{"full_name": {"b": 1, "a": {"z": [1, "<"], "aa": 2, "B": 3}, "é": 0, "Z": null, "": "empty", "a\u2028": "&"}}`)}},
}

// NewAuditLogEntry's payload (traits nil for a user's own logout).
func payload(id string, u user, traits map[string]interface{}) map[string]interface{} {
	var metadata map[string]interface{}
	source := []byte("")
	if u.metadata != nil {
		source = []byte(*u.metadata)
	}
	if len(source) == 0 {
		source = []byte("{}")
	}
	if err := json.Unmarshal(source, &metadata); err != nil {
		panic(err)
	}
	username := ""
	if u.email != nil {
		username = *u.email
	}
	if u.phone != nil && *u.phone != "" {
		username = *u.phone
	}
	p := map[string]interface{}{
		"actor_id":       id,
		"actor_via_sso":  u.isSSOUser,
		"actor_username": username,
		"action":         "logout",
		"log_type":       "account",
	}
	if name, ok := metadata["full_name"]; ok {
		p["actor_name"] = name
	}
	if traits != nil {
		p["traits"] = traits
	}
	return p
}

func marshal(v interface{}) string {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(data)
}

func literal(s *string) string {
	if s == nil {
		return "NULL"
	}
	return "'" + strings.ReplaceAll(*s, "'", "''") + "'"
}

func main() {
	out := os.Stdout
	fmt.Fprintln(out, "-- Generated by test/gotrue_audit/main.go with Go's encoding/json; do not edit.")
	fmt.Fprintln(out, "INSERT INTO jcv_test.audit_cases (name, email, phone, is_sso_user, user_metadata, logout_payload, admin_payload) VALUES")
	for i, c := range cases {
		logout := marshal(payload(dave, c.user, nil))
		admin := marshal(payload(dave, c.user, map[string]interface{}{
			"jcv_logout_action": "auth_logout_user", "by": "postgres"}))
		sep := ","
		if i == len(cases)-1 {
			sep = ";"
		}
		fmt.Fprintf(out, "(%s, %s, %s, %t, %s, %s, %s)%s\n", literal(&c.name), literal(c.user.email),
			literal(c.user.phone), c.user.isSSOUser, literal(c.user.metadata), literal(&logout), literal(&admin), sep)
	}
}
