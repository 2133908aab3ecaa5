/* SPDX-License-Identifier: MIT */
#ifndef KOFFIX_PLATFORM_H
#define KOFFIX_PLATFORM_H

/*
 * What differs between the operating systems koffix runs on, behind one small interface:
 * common/platform_posix.c (Linux) and common/platform_win32.c (Windows, mingw-w64), chosen by the
 * Makefile. Feature code calls these and has no #ifdef of its own.
 */

#include <stdbool.h>
#include <stddef.h>

/* Fills buf with n bytes from the system's secure random source. 0, or KX_EIO. */
int plat_random(void *buf, size_t n);

/* The folder of the running executable into out (len bytes). 0, or KX_EIO. */
int plat_exe_dir(char *out, size_t len);

/* This process's id, and whether the process with that id is alive (not this one). */
long long plat_pid(void);
bool plat_process_alive(long long pid);

/* Creates one folder; an existing folder is success. 0, or KX_EIO. */
int plat_mkdir(const char *path);

/*
 * Replaces dst with src atomically (src's data already flushed): rename(2) on POSIX,
 * MoveFileEx with MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH on Windows. 0, or KX_EIO.
 */
int plat_replace(const char *src, const char *dst);

/* Flushes an open file descriptor's data to disk. 0, or KX_EIO. */
int plat_fsync(int fd);

/*
 * For a server: called before any thread starts, so that the stop request reaches only
 * plat_wait_for_stop() (and a closed socket never kills the process).
 */
void plat_prepare_stop(void);

/* Blocks until the person asks the process to stop (Ctrl+C, SIGTERM, closing the console);
 * returns a number naming the request, for the log. */
int plat_wait_for_stop(void);

#endif
