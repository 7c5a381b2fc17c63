import { z } from "zod";
import { recordTypes } from "../../../domain/dns-record/types";
import { maxTxtBytes } from "../../../domain/dns-record/txt";

// Shapes only: the record grammars (server/domain/dns-record) need the zone's name, so the
// services run them and answer with an error per field.

const optionalInt = z.number().int().nullish();

export const recordFieldsInput = z.object({
  name: z.string().max(300, "A name can be at most 253 characters."),
  type: z.enum(recordTypes, "Choose a record type: A, AAAA, CNAME, MX, TXT, SRV, CAA or NS."),
  ttl: optionalInt,
  value: z.string().max(maxTxtBytes + 100, `The data can be at most ${maxTxtBytes} bytes.`),
  priority: optionalInt,
  weight: optionalInt,
  port: optionalInt,
  tag: z.string().max(50).nullish(),
  flags: optionalInt,
});

const recordInputOutput = z.object({
  name: z.string(),
  type: z.enum(recordTypes),
  ttl: z.number().int().nullish(),
  value: z.string(),
  priority: z.number().int().nullish(),
  weight: z.number().int().nullish(),
  port: z.number().int().nullish(),
  tag: z.string().nullish(),
  flags: z.number().int().nullish(),
});

export const zoneRecordOutput = z.object({
  id: z.string().nullable(),
  managed: z.boolean(),
  name: z.string(),
  type: z.enum(recordTypes),
  ttl: z.number().int(),
  content: z.string(),
  priority: z.number().int().nullable(),
  weight: z.number().int().nullable(),
  port: z.number().int().nullable(),
  data: z.string(),
  input: recordInputOutput,
});
