/* SPDX-License-Identifier: MIT */
#ifndef KOFFIX_ATTR_H
#define KOFFIX_ATTR_H

/*
 * KX_PRINTF(fmt, args): printf-style checking of a function's format string. mingw-w64 names
 * its C99 printf (the one with %zu and %lld) __MINGW_PRINTF_FORMAT; plain "printf" there means
 * the old msvcrt dialect.
 */
#include <stdio.h>

#ifdef __MINGW_PRINTF_FORMAT
#define KX_PRINTF(fmt, args) __attribute__((format(__MINGW_PRINTF_FORMAT, fmt, args)))
#else
#define KX_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#endif

#endif
