/* SPDX-License-Identifier: MIT */
#ifndef KOFFIX_NET_H
#define KOFFIX_NET_H

/*
 * The socket headers, which differ by system: the one platform #ifdef the HTTP layer needs
 * (libmicrohttpd itself hides the rest). Windows needs Vista's API for inet_pton.
 */
#ifdef _WIN32
#ifndef _WIN32_WINNT
#define _WIN32_WINNT 0x0601
#endif
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#endif

#endif
