/* census: the table of implemented opcodes (docs/OPCODES.md), produced from the decoder itself.
 *
 * census_write() walks the opcode space (one-byte map, 0F, 0F 38, 0F 3A; the mandatory prefixes
 * none/66/F3/F2; REX.W; ModRM.reg groups, register and memory forms; the ModRM ranges of the
 * x87 opcodes D8-DF), decodes a synthesised encoding of each with decode_insn(), classifies the
 * handler it gets (implemented, #UD, #GP) and names the encoding with capstone. See
 * tests/census/census.c for the rules and tests/README.md for the targets that use it.
 */
#ifndef TESTS_CENSUS_CENSUS_H
#define TESTS_CENSUS_CENSUS_H

#include <stdio.h>

/* Write the whole Markdown document to f. Returns 0, or -1 when capstone cannot be opened. */
int census_write(FILE *f);

#endif
