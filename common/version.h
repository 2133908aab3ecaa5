/* SPDX-License-Identifier: MIT */
#ifndef KOFFIX_VERSION_H
#define KOFFIX_VERSION_H

/* koffix's version: pages, scans, tickets and the Windows resources print it. */
#define KOFFIX_VERSION "0.1.0"

#endif
