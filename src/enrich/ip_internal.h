/* Private to the enrich layer: what address classification shares with the geolocation. */
#ifndef SN_ENRICH_IP_INTERNAL_H
#define SN_ENRICH_IP_INTERNAL_H

#include "../ingest/event.h"

#include <stdbool.h>

/* The IPv4 address an IPv6 address carries and stands for, if any: IPv4-mapped ::ffff:0:0/96
 * (RFC 4291), the NAT64 well-known prefix 64:ff9b::/96 (RFC 6052) and 6to4 2002::/16 (RFC
 * 3056). Writes it to v4 and returns true; false for every other address. */
bool sn_ip__embedded_v4(const sn_ip *ip, sn_ip *v4);

#endif
