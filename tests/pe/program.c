/* SPDX-License-Identifier: MIT */
/* A program (EXE) with the provider's version details: the "EXE renamed .dll" fixture. */
int main(void)
{
	return 0;
}
