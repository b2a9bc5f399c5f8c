/* jcv_logout--1.3--1.4.sql: logout as Supabase Auth v2.196 does it */

\echo Use "ALTER EXTENSION jcv_logout UPDATE TO '1.4'" to load this file. \quit
