#!/usr/bin/env node
// Turns the IP-to-ASN table of the npm package @ip-location-db/asn (CSV rows: first address, last
// address, AS number, AS organisation) into a MaxMind DB file that src/enrich/geoip.c reads
// through libmaxminddb exactly as it reads MaxMind's GeoLite2-ASN: one IPv6 search tree with the
// IPv4 addresses under ::/96, and records {autonomous_system_number,
// autonomous_system_organization}.
// Follows the MaxMind DB File Format Specification 2.0 (https://maxmind.github.io/MaxMind-DB/).
//
// Usage: node tools/gen_asn_mmdb.js THIRD_PARTY_DIR OUTPUT.mmdb
'use strict';

const fs = require('fs');
const path = require('path');

if (process.argv.length !== 4) {
    process.stderr.write('usage: gen_asn_mmdb.js THIRD_PARTY_DIR OUTPUT.mmdb\n');
    process.exit(2);
}
const pkgDir = path.join(path.resolve(process.argv[2]), 'node_modules', '@ip-location-db', 'asn');
const outPath = path.resolve(process.argv[3]);
const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));

function die(msg)
{
    process.stderr.write(`gen_asn_mmdb: ${msg}\n`);
    process.exit(1);
}

// ---------------------------------------------------------------------------------------------
// Input. The "-num" files give the addresses as decimal integers, which saves parsing IPv6 text.
// Rows are `first,last,asn,organisation`; the organisation is RFC 4180-quoted when it holds a
// comma or a quote.

function* rows(file)
{
    const text = fs.readFileSync(path.join(pkgDir, file), 'utf8');
    let lineNo = 0;
    for (const line of text.split('\n')) {
        lineNo++;
        if (line === '')
            continue;
        const c1 = line.indexOf(',');
        const c2 = line.indexOf(',', c1 + 1);
        const c3 = line.indexOf(',', c2 + 1);
        if (c1 < 0 || c2 < 0 || c3 < 0)
            die(`${file}:${lineNo}: expected 4 fields`);
        let org = line.slice(c3 + 1);
        if (org.startsWith('"')) {
            if (org.length < 2 || !org.endsWith('"'))
                die(`${file}:${lineNo}: unterminated quoted field`);
            org = org.slice(1, -1).replace(/""/g, '"');
        }
        const first = line.slice(0, c1), last = line.slice(c1 + 1, c2);
        const asn = line.slice(c2 + 1, c3);
        if (!/^\d+$/.test(first) || !/^\d+$/.test(last) || !/^\d+$/.test(asn))
            die(`${file}:${lineNo}: addresses and AS number must be decimal integers`);
        const n = Number(asn);
        if (n > 0xffffffff)
            die(`${file}:${lineNo}: AS number ${asn} is over 32 bits`);
        yield {lineNo, first: BigInt(first), last: BigInt(last), asn: n, org};
    }
}

// ---------------------------------------------------------------------------------------------
// The binary trie over 128-bit addresses. A child is EMPTY, a node index (>= 0), or a record
// (-2 - record id). A later row overwrites what an earlier one said for the same addresses.

const EMPTY = -1;
let cap = 1 << 20;
let left = new Int32Array(cap).fill(EMPTY);
let right = new Int32Array(cap).fill(EMPTY);
let nodes = 1; // node 0 is the root

function newNode(l, r)
{
    if (nodes === cap) {
        cap *= 2;
        const nl = new Int32Array(cap).fill(EMPTY), nr = new Int32Array(cap).fill(EMPTY);
        nl.set(left);
        nr.set(right);
        left = nl;
        right = nr;
    }
    left[nodes] = l;
    right[nodes] = r;
    return nodes++;
}

const words = new Uint32Array(4);

function insert(addr, len, record)
{
    for (let i = 0; i < 4; i++)
        words[i] = Number((addr >> BigInt(96 - 32 * i)) & 0xffffffffn);
    let node = 0;
    for (let d = 0; d < len; d++) {
        const bit = (words[d >>> 5] >>> (31 - (d & 31))) & 1;
        const child = bit ? right[node] : left[node];
        if (d === len - 1) {
            if (bit)
                right[node] = -2 - record;
            else
                left[node] = -2 - record;
            return;
        }
        let next = child;
        if (child < 0) // empty, or a shorter prefix's record: push it down both ways
            next = newNode(child, child);
        if (bit)
            right[node] = next;
        else
            left[node] = next;
        node = next;
    }
}

// Splits an inclusive range into the fewest prefixes and inserts each one.
function insertRange(first, last, record)
{
    while (first <= last) {
        let size = 0n;
        while (size < 128n && ((first >> size) & 1n) === 0n)
            size++;
        while (first + (1n << size) - 1n > last)
            size--;
        insert(first, 128 - Number(size), record);
        first += 1n << size;
    }
}

const records = [];
const recordIds = new Map();

function recordId(asn, org)
{
    const key = `${asn}\u0000${org}`;
    let id = recordIds.get(key);
    if (id === undefined) {
        id = records.length;
        records.push({asn, org});
        recordIds.set(key, id);
    }
    return id;
}

const V4_END = 0xffffffffn;
let rowCount = 0;
for (const r of rows('asn-ipv4-num.csv')) {
    if (r.first > r.last || r.last > V4_END)
        die(`asn-ipv4-num.csv:${r.lineNo}: not an IPv4 range`);
    insertRange(r.first, r.last, recordId(r.asn, r.org));
    rowCount++;
}
// IPv6 rows must stay out of ::/96, where the IPv4 addresses live.
for (const r of rows('asn-ipv6-num.csv')) {
    if (r.first > r.last || r.first <= V4_END || r.last >= 1n << 128n)
        die(`asn-ipv6-num.csv:${r.lineNo}: not an IPv6 range outside ::/96`);
    insertRange(r.first, r.last, recordId(r.asn, r.org));
    rowCount++;
}

// Two sibling halves with the same record are one prefix: fold them (post-order).
function fold(node)
{
    for (const side of [left, right]) {
        const c = side[node];
        if (c > 0)
            side[node] = fold(c);
    }
    return left[node] < -1 && left[node] === right[node] ? left[node] : node;
}
fold(0);

// Number the reachable nodes in depth-first order from the root (node 0 stays the root).
const order = new Int32Array(nodes).fill(-1);
let nodeCount = 0;
{
    const stack = [0];
    while (stack.length) {
        const n = stack.pop();
        order[n] = nodeCount++;
        if (right[n] >= 0)
            stack.push(right[n]);
        if (left[n] >= 0)
            stack.push(left[n]);
    }
}

// ---------------------------------------------------------------------------------------------
// Data section encoding (specification, "Output Data Section").

const TYPE = {pointer: 1, string: 2, uint16: 5, uint32: 6, map: 7, uint64: 9, array: 11};

function control(type, size)
{
    const out = [];
    let first = type <= 7 ? type << 5 : 0;
    let sizeBytes = [];
    if (size < 29) {
        first |= size;
    } else if (size < 285) {
        first |= 29;
        sizeBytes = [size - 29];
    } else if (size < 65821) {
        first |= 30;
        sizeBytes = [(size - 285) >> 8, (size - 285) & 0xff];
    } else {
        const s = size - 65821;
        first |= 31;
        sizeBytes = [(s >> 16) & 0xff, (s >> 8) & 0xff, s & 0xff];
    }
    out.push(first);
    if (type > 7)
        out.push(type - 7);
    return Buffer.from(out.concat(sizeBytes));
}

function encString(s)
{
    const b = Buffer.from(s, 'utf8');
    return Buffer.concat([control(TYPE.string, b.length), b]);
}

function encUnsigned(type, v)
{
    const bytes = [];
    for (let x = BigInt(v); x > 0n; x >>= 8n)
        bytes.unshift(Number(x & 0xffn));
    return Buffer.concat([control(type, bytes.length), Buffer.from(bytes)]);
}

function encPointer(p)
{
    if (p < 2048)
        return Buffer.from([0x20 | (p >> 8), p & 0xff]);
    if (p < 526336) {
        const q = p - 2048;
        return Buffer.from([0x28 | (q >> 16), (q >> 8) & 0xff, q & 0xff]);
    }
    if (p < 134744064) {
        const q = p - 526336;
        return Buffer.from([0x30 | (q >>> 24), (q >> 16) & 0xff, (q >> 8) & 0xff, q & 0xff]);
    }
    const b = Buffer.alloc(5);
    b[0] = 0x38;
    b.writeUInt32BE(p, 1);
    return b;
}

function encMap(pairs)
{
    const parts = [control(TYPE.map, pairs.length)];
    for (const [k, v] of pairs)
        parts.push(typeof k === 'string' ? encString(k) : k, v);
    return Buffer.concat(parts);
}

// The two keys are written once at the start of the data section; every record points to them.
const parts = [];
let dataSize = 0;
function emit(buf)
{
    const at = dataSize;
    parts.push(buf);
    dataSize += buf.length;
    return at;
}
const keyAsn = encPointer(emit(encString('autonomous_system_number')));
const keyOrg = encPointer(emit(encString('autonomous_system_organization')));
const recordOffset = new Array(records.length);
for (let i = 0; i < records.length; i++) {
    const r = records[i];
    recordOffset[i] = emit(encMap([[keyAsn, encUnsigned(TYPE.uint32, r.asn)],
                                   [keyOrg, encString(r.org)]]));
}

// ---------------------------------------------------------------------------------------------
// Search tree.

let recordSize = 0;
for (const bits of [24, 28, 32]) {
    if (nodeCount + 16 + dataSize < 2 ** bits) {
        recordSize = bits;
        break;
    }
}
if (!recordSize)
    die('the database would be too large for 32-bit records');

function recordValue(child)
{
    if (child === EMPTY)
        return nodeCount;
    if (child >= 0)
        return order[child];
    return nodeCount + 16 + recordOffset[-2 - child];
}

const nodeBytes = recordSize / 4;
const tree = Buffer.alloc(nodeCount * nodeBytes);
for (let n = 0; n < nodes; n++) {
    if (order[n] < 0)
        continue;
    const at = order[n] * nodeBytes;
    const l = recordValue(left[n]), r = recordValue(right[n]);
    if (recordSize === 24) {
        tree.writeUIntBE(l, at, 3);
        tree.writeUIntBE(r, at + 3, 3);
    } else if (recordSize === 28) {
        tree.writeUIntBE(l & 0xffffff, at, 3);
        tree[at + 3] = ((l >>> 24) << 4) | (r >>> 24);
        tree.writeUIntBE(r & 0xffffff, at + 4, 3);
    } else {
        tree.writeUInt32BE(l, at);
        tree.writeUInt32BE(r, at + 4);
    }
}

// ---------------------------------------------------------------------------------------------
// Metadata. The build time is the package's own date (its version ends in YYYYMMDDHH), so the
// same package always gives the same bytes.

const m = /(\d{4})(\d{2})(\d{2})(\d{2})$/.exec(pkg.version);
const buildEpoch = m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4]) / 1000 : 0;
const metadata = encMap([
    ['binary_format_major_version', encUnsigned(TYPE.uint16, 2)],
    ['binary_format_minor_version', encUnsigned(TYPE.uint16, 0)],
    ['build_epoch', encUnsigned(TYPE.uint64, buildEpoch)],
    ['database_type', encString('ip-location-db-ASN')],
    ['description',
     encMap([['en', encString(`IP to ASN from ${pkg.name} ${pkg.version} (RouteViews, NRO and ` +
                              'DB-IP data, CC BY 4.0)')]])],
    ['ip_version', encUnsigned(TYPE.uint16, 6)],
    ['languages', control(TYPE.array, 0)],
    ['node_count', encUnsigned(TYPE.uint32, nodeCount)],
    ['record_size', encUnsigned(TYPE.uint16, recordSize)],
]);

const out = Buffer.concat([tree, Buffer.alloc(16), ...parts,
                           Buffer.from('\xab\xcd\xefMaxMind.com', 'latin1'), metadata]);
fs.mkdirSync(path.dirname(outPath), {recursive: true});
const tmp = `${outPath}.tmp`;
fs.writeFileSync(tmp, out);
fs.renameSync(tmp, outPath);
process.stdout.write(`asn mmdb: ${rowCount} ranges, ${records.length} distinct AS records, ` +
                     `${nodeCount} nodes of ${recordSize}-bit records, ${out.length} bytes -> ` +
                     `${outPath}\n`);
