/* SPDX-License-Identifier: GPL-2.0 */
/* Stand-in for <linux/if_ether.h>: the one constant the CPU-CP header needs. */
#ifndef HLRS_SHIM_IF_ETHER_H
#define HLRS_SHIM_IF_ETHER_H
#define ETH_ALEN 6
#endif
