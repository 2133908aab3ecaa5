/* SPDX-License-Identifier: MIT */
/*
 * A stand-in for libFuzzer's driver: feeds every file named on the command line (or every file
 * of a directory named there) to LLVMFuzzerTestOneInput once. `make test` uses it to replay the
 * seed corpora under AddressSanitizer; `make fuzz` links the real libFuzzer instead.
 */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../common/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
	char *data;
	size_t len;
	if (kx_read_file(path, 64u << 20, &data, &len) != 0) {
		fprintf(stderr, "replay: cannot read '%s'\n", path);
		return 1;
	}
	LLVMFuzzerTestOneInput((const uint8_t *)data, len);
	free(data);
	return 0;
}

int main(int argc, char **argv)
{
	int failed = 0, count = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "replay: no such file '%s'\n", argv[i]);
			failed++;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			failed += replay_file(argv[i]);
			count++;
			continue;
		}
		DIR *d = opendir(argv[i]);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			size_t n = strlen(argv[i]) + strlen(e->d_name) + 2;
			char *p = xmalloc(n);
			snprintf(p, n, "%s/%s", argv[i], e->d_name);
			failed += replay_file(p);
			count++;
			free(p);
		}
		if (d)
			closedir(d);
	}
	printf("replayed %d inputs\n", count);
	return failed ? 1 : 0;
}
