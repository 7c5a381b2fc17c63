import { describe, expect, it } from "vitest";
import { eventTouches, isBinlogMark } from "../../../../worker/agent/storage/binlog-mark";

// What one binlog event says about which databases changed (the events as MariaDB 10.11 prints
// them in SHOW BINLOG EVENTS with a row-format log). Unknown means "all": the dump is taken.

const dbs = ["u1ab_wp", "u1ab_shop"];
const ev = (Event_type: string, Info: string) => ({ Event_type, Info });

describe("eventTouches", () => {
  it("reads a row change's database from its Table_map", () => {
    expect(eventTouches(ev("Table_map", "table_id: 18 (u1ab_wp.wp_options)"), dbs)).toEqual(["u1ab_wp"]);
    expect(eventTouches(ev("Table_map", "table_id: 19 (u2cd_wp.wp_options)"), dbs)).toEqual([]);
    expect(eventTouches(ev("Table_map", "something else"), dbs)).toBe("all");
  });

  it("ignores the events that change nothing by themselves", () => {
    for (const type of ["Gtid", "Xid", "Annotate_rows", "Format_desc", "Gtid_list", "Binlog_checkpoint", "Rotate", "Stop", "Write_rows_v1", "Update_rows_v1", "Delete_rows_v1", "Write_rows"]) {
      expect(eventTouches(ev(type, "insert into u1ab_wp.t values (1)"), dbs)).toEqual([]);
    }
    expect(eventTouches(ev("Query", "BEGIN"), dbs)).toEqual([]);
    expect(eventTouches(ev("Query", "COMMIT"), dbs)).toEqual([]);
  });

  it("counts DDL for the database it runs in or names, and no other", () => {
    expect(eventTouches(ev("Query", "use `u1ab_wp`; truncate table t"), dbs)).toEqual(["u1ab_wp"]);
    expect(eventTouches(ev("Query", "create table u1ab_shop.t(id int)"), dbs)).toEqual(["u1ab_shop"]);
    expect(eventTouches(ev("Query", "DROP DATABASE `u1ab_wp`"), dbs)).toEqual(["u1ab_wp"]);
    expect(eventTouches(ev("Query", "use `u2cd_wp`; RENAME TABLE a TO u1ab_shop.b"), dbs)).toEqual(["u1ab_shop"]);
    expect(eventTouches(ev("Query", "use `u2cd_wp`; alter table t add column c int"), dbs)).toEqual([]);
    // A name that merely contains another is not it.
    expect(eventTouches(ev("Query", "create table u1ab_wpx.t(id int)"), dbs)).toEqual([]);
  });

  it("takes any other event (statement-format, LOAD DATA, incidents) as changing everything", () => {
    for (const type of ["Intvar", "User var", "Rand", "Begin_load_query", "Execute_load_query", "Incident"]) {
      expect(eventTouches(ev(type, ""), dbs)).toBe("all");
    }
  });
});

describe("isBinlogMark", () => {
  it("accepts a well-formed mark only", () => {
    expect(isBinlogMark({ instance: "7f0c9a7e-0000-4000-8000-000000000000", file: "shoal-bin.000002", pos: 1507 })).toBe(true);
    expect(isBinlogMark({ instance: "x", file: "../etc/passwd", pos: 4 })).toBe(false);
    expect(isBinlogMark({ instance: "x", file: "shoal-bin.000001", pos: 0 })).toBe(false);
    expect(isBinlogMark(null)).toBe(false);
    expect(isBinlogMark({ file: "shoal-bin.000001", pos: 4 })).toBe(false);
  });
});
