// The DNS wire format (RFC 1035) as far as the dns check needs it: one query out, one response in, and the answer
// section's records of the types a monitor may ask for, printed as dig prints them (TXT: the strings joined).
import { formatIp } from "../../../contract/egress.ts";
import { DNS_RCODES } from "../../../contract/monitor.ts";

/** Record types by their RFC 1035/3596 numbers. */
export const RECORD_TYPE_CODES = { A: 1, NS: 2, CNAME: 5, SOA: 6, MX: 15, TXT: 16, AAAA: 28 } as const;
export type RecordType = keyof typeof RECORD_TYPE_CODES;
const TYPE_NAMES = new Map<number, string>(Object.entries(RECORD_TYPE_CODES).map(([k, v]) => [v, k]));
const CLASS_IN = 1;

/** The response codes a header can carry (4 bits without EDNS): the contract's names, listed in value order (0-10). */
const RCODE_NAMES: readonly string[] = DNS_RCODES;

export function rcodeName(value: number): string {
  return RCODE_NAMES[value] ?? `RESERVED${value}`;
}

/** A query for `name` (no trailing dot) of `type`, class IN, with `id` and the RD bit as asked; no EDNS. */
export function encodeQuery(id: number, name: string, type: RecordType, recursionDesired: boolean): Buffer {
  const labels = name === "" ? [] : name.split(".");
  const qname = Buffer.concat([
    ...labels.map((l) => {
      const bytes = Buffer.from(l, "ascii");
      if (bytes.length < 1 || bytes.length > 63) throw new Error(`label ${JSON.stringify(l)} must be 1-63 bytes`);
      return Buffer.concat([Buffer.from([bytes.length]), bytes]);
    }),
    Buffer.from([0]),
  ]);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(recursionDesired ? 0x0100 : 0, 2); // QR=0, opcode QUERY, RD as asked
  header.writeUInt16BE(1, 4); // one question
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(RECORD_TYPE_CODES[type], 0);
  tail.writeUInt16BE(CLASS_IN, 2);
  return Buffer.concat([header, qname, tail]);
}

export interface DecodedRecord {
  name: string;
  /** The type's name (A, MX…) or `TYPE<n>` for others. */
  type: string;
  ttl: number;
  /** As dig prints it; null for types this check does not print. */
  value: string | null;
}

export interface DecodedResponse {
  id: number;
  /** QR: it is a response. */
  response: boolean;
  truncated: boolean;
  authoritative: boolean;
  recursionAvailable: boolean;
  rcode: number;
  question: { name: string; type: number; class: number } | null;
  answers: DecodedRecord[];
}

export class MalformedResponse extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MalformedResponse";
  }
}

/** A label's bytes as dig prints them: `.` and `\` escaped, bytes outside printable ASCII as `\DDD`. */
function printLabel(bytes: Buffer): string {
  let out = "";
  for (const b of bytes) {
    if (b === 0x2e || b === 0x5c || b === 0x22 || b === 0x28 || b === 0x29 || b === 0x3b || b === 0x40 || b === 0x24)
      out += `\\${String.fromCharCode(b)}`;
    else if (b < 0x21 || b > 0x7e) out += `\\${String(b).padStart(3, "0")}`;
    else out += String.fromCharCode(b);
  }
  return out;
}

/** Reads a (possibly compressed) name at `offset`; returns it without the trailing dot ("" for the root) and where it ends. */
function readName(msg: Buffer, offset: number): { name: string; end: number } {
  const labels: string[] = [];
  let pos = offset;
  let end = -1;
  let jumps = 0;
  let length = 0;
  for (;;) {
    if (pos >= msg.length) throw new MalformedResponse("a name runs past the end of the message");
    const len = msg[pos]!;
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= msg.length) throw new MalformedResponse("a compression pointer runs past the end of the message");
      if (++jumps > 64) throw new MalformedResponse("compression pointers loop");
      if (end < 0) end = pos + 2;
      pos = ((len & 0x3f) << 8) | msg[pos + 1]!;
      continue;
    }
    if ((len & 0xc0) !== 0) throw new MalformedResponse(`unknown label type 0x${len.toString(16)}`);
    if (len === 0) {
      if (end < 0) end = pos + 1;
      break;
    }
    if (pos + 1 + len > msg.length) throw new MalformedResponse("a label runs past the end of the message");
    length += len + 1;
    if (length > 255) throw new MalformedResponse("a name is longer than 255 bytes");
    labels.push(printLabel(msg.subarray(pos + 1, pos + 1 + len)));
    pos += 1 + len;
  }
  return { name: labels.join("."), end };
}

const fqdn = (name: string) => `${name}.`;

/** The record data as dig prints it, for the types a monitor may ask for; null for others. */
function printRdata(msg: Buffer, type: number, start: number, length: number): string | null {
  const rdata = msg.subarray(start, start + length);
  const need = (n: number) => {
    if (length < n) throw new MalformedResponse(`a ${TYPE_NAMES.get(type)} record's data is ${length} bytes, too short`);
  };
  switch (type) {
    case RECORD_TYPE_CODES.A:
      if (length !== 4) throw new MalformedResponse(`an A record's data is ${length} bytes, not 4`);
      return [...rdata].join(".");
    case RECORD_TYPE_CODES.AAAA: {
      if (length !== 16) throw new MalformedResponse(`an AAAA record's data is ${length} bytes, not 16`);
      return formatIp({ version: 6, value: BigInt(`0x${rdata.toString("hex")}`) });
    }
    case RECORD_TYPE_CODES.CNAME:
    case RECORD_TYPE_CODES.NS:
      return fqdn(readName(msg, start).name);
    case RECORD_TYPE_CODES.MX: {
      need(3);
      return `${msg.readUInt16BE(start)} ${fqdn(readName(msg, start + 2).name)}`;
    }
    case RECORD_TYPE_CODES.TXT: {
      // The character-strings joined without separators, as SPF and DKIM read them (dig quotes each one instead).
      let out = "";
      for (let p = 0; p < length; ) {
        const n = rdata[p]!;
        if (p + 1 + n > length) throw new MalformedResponse("a TXT string runs past its record");
        out += rdata.subarray(p + 1, p + 1 + n).toString("utf8");
        p += 1 + n;
      }
      return out;
    }
    case RECORD_TYPE_CODES.SOA: {
      const mname = readName(msg, start);
      const rname = readName(msg, mname.end);
      if (rname.end + 20 > start + length) throw new MalformedResponse("an SOA record's data is too short");
      const numbers = [0, 4, 8, 12, 16].map((o) => msg.readUInt32BE(rname.end + o));
      return [fqdn(mname.name), fqdn(rname.name), ...numbers].join(" ");
    }
    default:
      return null;
  }
}

/** Decodes a response's header, question and answer section; throws MalformedResponse when it cannot. */
export function decodeResponse(msg: Buffer): DecodedResponse {
  if (msg.length < 12) throw new MalformedResponse(`the message is ${msg.length} bytes, shorter than a DNS header (12)`);
  const flags = msg.readUInt16BE(2);
  const qdcount = msg.readUInt16BE(4);
  const ancount = msg.readUInt16BE(6);
  const out: DecodedResponse = {
    id: msg.readUInt16BE(0),
    response: (flags & 0x8000) !== 0,
    authoritative: (flags & 0x0400) !== 0,
    truncated: (flags & 0x0200) !== 0,
    recursionAvailable: (flags & 0x0080) !== 0,
    rcode: flags & 0x000f,
    question: null,
    answers: [],
  };
  let pos = 12;
  for (let i = 0; i < qdcount; i++) {
    const q = readName(msg, pos);
    if (q.end + 4 > msg.length) throw new MalformedResponse("the question runs past the end of the message");
    if (i === 0) out.question = { name: q.name, type: msg.readUInt16BE(q.end), class: msg.readUInt16BE(q.end + 2) };
    pos = q.end + 4;
  }
  // A truncated answer may stop mid-section: keep what is whole, the caller asks again over TCP.
  for (let i = 0; i < ancount; i++) {
    if (out.truncated && pos >= msg.length) break;
    const rr = readName(msg, pos);
    if (rr.end + 10 > msg.length) {
      if (out.truncated) break;
      throw new MalformedResponse("an answer record runs past the end of the message");
    }
    const type = msg.readUInt16BE(rr.end);
    const ttl = msg.readUInt32BE(rr.end + 4);
    const rdlength = msg.readUInt16BE(rr.end + 8);
    const start = rr.end + 10;
    if (start + rdlength > msg.length) {
      if (out.truncated) break;
      throw new MalformedResponse("an answer record's data runs past the end of the message");
    }
    out.answers.push({ name: rr.name, type: TYPE_NAMES.get(type) ?? `TYPE${type}`, ttl, value: printRdata(msg, type, start, rdlength) });
    pos = start + rdlength;
  }
  return out;
}
