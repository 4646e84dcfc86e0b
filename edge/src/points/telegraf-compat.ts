// Telegraf's documented points for the four checks and where this product's points differ, with why: listed once,
// checked key by key and type by type in telegraf-compat.test.ts, and shown to InfluxDB users in docs/influxdb.md
// (test/repo/influxdb-doc.test.ts checks that the page gives every reason). Data only: nothing here runs in the Worker.

/** Telegraf at the commit these were copied from (github.com/influxdata/telegraf). */
export const TELEGRAF_COMMIT = "b27263146617cefe16c0b300107b58b111a7fa57";

/** One point as Telegraf documents it: a line of line protocol, and the file of the Telegraf repository it is from. */
export interface TelegrafExample {
  source: string;
  line: string;
}

/** Telegraf's examples, copied as written (the x509_cert chain from its test, in its serializer's line protocol). */
export const TELEGRAF_EXAMPLES = {
  http: {
    source: "plugins/inputs/http_response/README.md (Example Output)",
    line: 'http_response,method=GET,result=success,server=http://github.com,status_code=200 content_length=87878i,http_response_code=200i,response_time=0.937655534,result_code=0i,result_type="success" 1565839598000000000',
  },
  tcpSuccess: {
    source: "plugins/inputs/net_response/README.md (Example Output, line 1)",
    line: 'net_response,port=8086,protocol=tcp,result=success,server=localhost response_time=0.000092948,result_code=0i,result_type="success" 1525820185000000000',
  },
  tcpRefused: {
    source: "plugins/inputs/net_response/README.md (Example Output, line 2)",
    line: 'net_response,port=8080,protocol=tcp,result=connection_failed,server=localhost result_code=2i,result_type="connection_failed" 1525820088000000000',
  },
  expectMissed: {
    source: "plugins/inputs/net_response/README.md (Example Output, line 3)",
    line: 'net_response,port=8080,protocol=udp,result=read_failed,server=localhost result_code=3i,result_type="read_failed",string_found=false 1525820088000000000',
  },
  ping: {
    source: "plugins/inputs/ping/README.md (Example Output)",
    line: "ping,url=example.org average_response_ms=23.066,ttl=63,maximum_response_ms=24.64,minimum_response_ms=22.451,packets_received=5i,packets_transmitted=5i,percent_packet_loss=0,result_code=0i,standard_deviation_ms=0.809 1535747258000000000",
  },
  certInvalid: {
    source: "plugins/inputs/x509_cert/README.md (Example Output, line 2)",
    line: 'x509_cert,common_name=www.example.org,country=US,locality=Los\\ Angeles,organization=Internet\\ Corporation\\ for\\ Assigned\\ Names\\ and\\ Numbers,organizational_unit=Technology,province=California,ocsp_stapled=no,source=https://example.org:443,verification=invalid age=20219055i,enddate=1606910400i,expiry=43328144i,startdate=1543363200i,verification_code=1i,verification_error="x509: certificate signed by unknown authority" 1563582256000000000',
  },
  certLeaf: {
    source: "plugins/inputs/x509_cert/x509_cert_test.go (TestClassification, leaf)",
    line: "x509_cert,common_name=My\\ server,country=US,issuer_common_name=Intermediate\\ CA,ocsp_stapled=no,organization=Testing\\ Inc.,public_key_algorithm=RSA,san=127.0.0.1,serial_number=53950,signature_algorithm=SHA256-RSA,source=file:///tmp/cert.pem,type=leaf,verification=valid age=0i,enddate=1700086400i,expiry=86399i,public_key_length=2048i,startdate=1700000000i,verification_code=0i 0",
  },
  certIntermediate: {
    source: "plugins/inputs/x509_cert/x509_cert_test.go (TestClassification, intermediate)",
    line: "x509_cert,common_name=Intermediate\\ CA,country=US,issuer_common_name=Root\\ CA,ocsp_stapled=no,organization=Testing\\ Inc.,public_key_algorithm=RSA,serial_number=5394f,signature_algorithm=SHA256-RSA,source=file:///tmp/cert.pem,type=intermediate,verification=valid age=0i,enddate=1700086400i,expiry=86399i,public_key_length=2048i,startdate=1700000000i,verification_code=0i 0",
  },
  certRoot: {
    source: "plugins/inputs/x509_cert/x509_cert_test.go (TestClassification, root)",
    line: "x509_cert,common_name=Root\\ CA,country=US,issuer_common_name=Root\\ CA,ocsp_stapled=no,organization=Testing\\ Inc.,public_key_algorithm=RSA,serial_number=5394e,signature_algorithm=SHA256-RSA,source=file:///tmp/cert.pem,type=root,verification=valid age=0i,enddate=1700086400i,expiry=86399i,public_key_length=4096i,startdate=1700000000i,verification_code=0i 0",
  },
  dns: {
    // Its domain is a public name there; a .test name here, as nothing in this repository names a public host.
    source: "plugins/inputs/dns_query/README.md (Example Output, the domain replaced by www.example.test)",
    line: "dns_query,domain=www.example.test,rcode=NOERROR,record_type=A,result=success,server=127.0.0.1 rcode_value=0i,result_code=0i,query_time_ms=0.13746 1550020750001000000",
  },
} as const satisfies Record<string, TelegrafExample>;

export type ExampleName = keyof typeof TELEGRAF_EXAMPLES;

/**
 * How a key differs: a tag or field only this product writes, one Telegraf writes and this product does not,
 * or a field written with another line-protocol type.
 */
export type DifferenceKind = "our tag" | "our field" | "tag not written" | "field not written" | "field type";

export interface Difference {
  /** The measurement, or "*" for all four. */
  measurement: "*" | "http_response" | "net_response" | "ping" | "x509_cert" | "dns_query";
  key: string;
  kind: DifferenceKind;
  /** Why; docs/influxdb.md says the same, word for word. */
  reason: string;
}

/** Every difference between this product's points and Telegraf's for the same check. */
export const TELEGRAF_DIFFERENCES: readonly Difference[] = [
  { measurement: "*", key: "monitor", kind: "our tag", reason: "the monitor's id, so that one check's points can be selected" },
  { measurement: "*", key: "location", kind: "our tag", reason: "where the check ran: `edge` or the agent's location" },
  { measurement: "*", key: "agent", kind: "our tag", reason: "the agent that ran the check (none for edge checks)" },
  { measurement: "*", key: "up", kind: "our field", reason: "the check's verdict (integer 1 or 0): uptime is `mean(up)`" },
  { measurement: "*", key: "check_id", kind: "our field", reason: "the result id, as the API shows it" },
  { measurement: "*", key: "latency_ms", kind: "our field", reason: "the check's latency in milliseconds, on every kind" },
  { measurement: "*", key: "error_kind", kind: "our field", reason: "why a failed check failed, as one word of the API's error kinds" },
  { measurement: "*", key: "error", kind: "our field", reason: "the failed check's message" },
  {
    measurement: "http_response",
    key: "response_status_code_match",
    kind: "our field",
    reason:
      "every monitor has an expected status (`expected_status`, default `2xx`), so it is always written, as Telegraf writes it when `response_status_code` is set",
  },
  {
    measurement: "x509_cert",
    key: "days_left",
    kind: "our field",
    reason: "days until the leaf expires (float), on the leaf's point only",
  },
  {
    measurement: "x509_cert",
    key: "ocsp_stapled",
    kind: "tag not written",
    reason: "the agent does not ask for a stapled OCSP response, so no `ocsp_*` tag or field is written",
  },
  {
    measurement: "dns_query",
    key: "port",
    kind: "our tag",
    reason: "the server's port (53 unless `dns.server` names another); Telegraf's is a setting, not a tag",
  },
  {
    measurement: "dns_query",
    key: "answers",
    kind: "our field",
    reason: "how many records of the asked type the answer section held (integer), when a response came",
  },
  {
    measurement: "dns_query",
    key: "values",
    kind: "our field",
    reason: "those records' values as a JSON array of strings (as dig prints them; TXT: its strings joined), when there were any",
  },
];

/**
 * Where Telegraf's example is not what Telegraf writes today, and why the comparison allows for it. These are not
 * differences of this product: they correct the fixture.
 */
export const EXAMPLE_NOTES: Partial<Record<ExampleName, readonly Omit<Difference, "measurement">[]>> = {
  ping: [
    {
      key: "ttl",
      kind: "field type",
      reason:
        "the README's example writes `ttl=63` without `i`, but Telegraf writes an integer (`ttl int` in ping_notwindows.go's `statistics` and in ping.go's `pingStats`), as this product does",
    },
  ],
  expectMissed: [
    {
      key: "response_time",
      kind: "our field",
      reason: "the example is a UDP read; over TCP, Telegraf also writes response_time after connecting (net_response.go tcpGather)",
    },
  ],
  certInvalid: ["type", "serial_number", "signature_algorithm", "public_key_algorithm", "issuer_common_name", "san"]
    .map((key) => ({ key, kind: "our tag" as DifferenceKind }))
    .concat([{ key: "public_key_length", kind: "our field" }])
    .map((d) => ({
      ...d,
      reason:
        "the README's example predates these keys: its Metrics section lists them and x509_cert.go writes them (see TestClassification)",
    })),
};
