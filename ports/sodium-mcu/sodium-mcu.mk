# libsodium's portable C for microcontrollers: exactly the files that the crypto backend
# (src/crypto/crypto_sodium.c) calls, compiled from Debian's source package (fetched by
# scripts/libsodium-src.sh; nothing of libsodium is in this repository). Included by
# bench/size, bench/mcu and the Contiki-NG module for their Cortex-M3 builds.
#
# In:  SODIUM_DIR   the libsodium tree (the directory holding src/libsodium)
#      SODIUM_GEN   a build directory for the one generated header (sodium/version.h)
# Out: SODIUM_MCU_SRCS     absolute paths of the .c files (libsodium's and sodium_mcu.c)
#      SODIUM_MCU_CPPFLAGS include paths and defines for them and for crypto_sodium.c
#      sodium_mcu_file_flags  $(call sodium_mcu_file_flags,FILE.c): extra flags per file
#      SODIUM_MCU_VERSION_H   the generated header (a prerequisite of every object)
#      sodium_mcu_rules  $(call sodium_mcu_rules,OBJ_DIR,PREREQS,COMPILE): one rule per file
#                        of SODIUM_MCU_SRCS (their base names are unique), OBJ_DIR/NAME.o
#                        compiled by COMPILE (compiler and flags) plus the file's own flags;
#                        rebuilt when PREREQS (the including Makefile) change
#
# Why this way (../../docs/security.md, "On a microcontroller"):
# - Debian's source has no generated configure script, so nothing is configured:
#   -DCONFIGURED=1 -DNATIVE_LITTLE_ENDIAN=1 select the portable reference code (ref10
#   X25519, ref salsa20, poly1305-donna 32-bit), with no assembly and no CPU dispatch.
# - crypto_scalarmult_base's ed25519 table is 30 KB of flash. The backend makes key pairs
#   with the ladder on point 9, but x25519's implementation table still names the base
#   function; in x25519_ref10.c's code ge25519_scalarmult_base is renamed to sodium_mcu.c's
#   trap, so the table is never linked (crypto_scalarmult_base is not available in these
#   builds: use crypto_scalarmult on the point 9, as the backend does).
# - x25519_ref10.c and ed25519_ref10.c are compiled as one unit (sodium_mcu_x25519.c
#   includes both from SODIUM_DIR): each would otherwise carry its own copy of the field
#   header's static fe25519_mul and fe25519_sq, 2.3 KB twice.
# - MZMTP_SODIUM_MCU=1: the backend does not call sodium_init, which here would only pick
#   the portable implementations the pointers already start at (crypto_sodium.c).
# - sodium_init also picks implementations for argon2, blake2b and chacha20, stirs
#   libsodium's own random generator and draws a canary for sodium_malloc; none of those
#   is in this subset (microzmtp's randomness comes from the port, and it allocates
#   nothing), so on core.c alone those calls are renamed to sodium_mcu.c's no-op and the
#   modules stay out of the link.
# Compile with -Os -ffunction-sections -fdata-sections and link with --gc-sections.

# The rule below must not become the including Makefile's default goal.
sodium_mcu_goal := $(.DEFAULT_GOAL)
SODIUM_MCU_HERE := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
SODIUM_LIB      := $(SODIUM_DIR)/src/libsodium

SODIUM_MCU_FILES := \
    crypto_core/hsalsa20/ref2/core_hsalsa20_ref2.c \
    crypto_core/salsa/ref/core_salsa_ref.c \
    crypto_stream/salsa20/stream_salsa20.c \
    crypto_stream/salsa20/ref/salsa20_ref.c \
    crypto_onetimeauth/poly1305/onetimeauth_poly1305.c \
    crypto_onetimeauth/poly1305/donna/poly1305_donna.c \
    crypto_scalarmult/curve25519/scalarmult_curve25519.c \
    crypto_verify/sodium/verify.c \
    sodium/core.c \
    sodium/runtime.c \
    sodium/utils.c

SODIUM_MCU_SRCS := $(addprefix $(SODIUM_LIB)/,$(SODIUM_MCU_FILES)) $(SODIUM_MCU_HERE)/sodium_mcu.c \
    $(SODIUM_MCU_HERE)/sodium_mcu_x25519.c

SODIUM_MCU_CPPFLAGS := -DCONFIGURED=1 -DNATIVE_LITTLE_ENDIAN=1 -DMZMTP_SODIUM_MCU=1 -I$(SODIUM_GEN) \
    -isystem $(SODIUM_LIB)/include -isystem $(SODIUM_LIB)/include/sodium

SODIUM_MCU_VERSION_H := $(SODIUM_GEN)/sodium/version.h

# x25519_ref10.c and ed25519_ref10.c (the field arithmetic) as one unit: see the file.
sodium_mcu_flags_sodium_mcu_x25519.c := -I$(SODIUM_LIB)
sodium_mcu_flags_core.c := -Drandombytes_stir=sodium_mcu_nothing_void \
    -D_sodium_alloc_init=sodium_mcu_nothing \
    -D_crypto_pwhash_argon2_pick_best_implementation=sodium_mcu_nothing \
    -D_crypto_generichash_blake2b_pick_best_implementation=sodium_mcu_nothing \
    -D_crypto_stream_chacha20_pick_best_implementation=sodium_mcu_nothing
# Every libsodium file: no assert() (it would need the C library's abort machinery) and
# abort() renamed to sodium_mcu.c's, which stops the processor where it is (a chip has no
# process to end). libsodium aborts only on misuse (a message longer than its
# *_MESSAGEBYTES_MAX, a failed internal check), which microzmtp's calls never reach.
SODIUM_MCU_LIB_FLAGS := -DNDEBUG -Dabort=sodium_mcu_abort
sodium_mcu_file_flags = $(SODIUM_MCU_LIB_FLAGS) $(sodium_mcu_flags_$(notdir $(1)))

define sodium_mcu_rule_
$(2)/$(notdir $(1:.c=.o)): $(1) $(3) $(SODIUM_MCU_HERE)/sodium-mcu.mk $(SODIUM_MCU_VERSION_H)
	@mkdir -p $$(@D)
	$(4) $(call sodium_mcu_file_flags,$(1)) -c $$< -o $$@
endef
sodium_mcu_rules = $(foreach f,$(SODIUM_MCU_SRCS),$(eval $(call sodium_mcu_rule_,$(f),$(1),$(2),$(3))))

# The one header that libsodium's configure would have generated, from its template.
$(SODIUM_MCU_VERSION_H): $(SODIUM_LIB)/include/sodium/version.h.in
	@mkdir -p $(@D)
	@v=$$(sed -n 's/^AC_INIT(\[libsodium\],\[\([^]]*\)\].*/\1/p' $(SODIUM_DIR)/configure.ac); \
	maj=$$(sed -n 's/^SODIUM_LIBRARY_VERSION_MAJOR=//p' $(SODIUM_DIR)/configure.ac); \
	min=$$(sed -n 's/^SODIUM_LIBRARY_VERSION_MINOR=//p' $(SODIUM_DIR)/configure.ac); \
	sed -e "s/@VERSION@/$$v/" -e "s/@SODIUM_LIBRARY_VERSION_MAJOR@/$$maj/" \
	    -e "s/@SODIUM_LIBRARY_VERSION_MINOR@/$$min/" -e 's/@SODIUM_LIBRARY_MINIMAL_DEF@//' $< > $@
.DEFAULT_GOAL := $(sodium_mcu_goal)
