/* SPDX-License-Identifier: MIT */
/* Random bytes in an executable section: what a packer's compressed payload looks like. */
	.section .text
	.globl koffix_payload
koffix_payload:
	.incbin "payload.bin"
