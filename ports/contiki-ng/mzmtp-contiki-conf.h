/*
 * Read by the microzmtp core before its defaults (Makefile.contiki-ng passes
 * -DMZMTP_CONFIG_FILE="mzmtp-contiki-conf.h"), so the MZMTP_CONF_* options an
 * application sets in its project-conf.h apply to the core, the port and the
 * application alike. Nothing else belongs here: options and defaults live in
 * include/microzmtp/mzmtp_config_defaults.h (core) and mzmtp-contiki.h (port).
 */
#ifndef MZMTP_CONTIKI_CONF_H
#define MZMTP_CONTIKI_CONF_H

#ifdef PROJECT_CONF_PATH
#include PROJECT_CONF_PATH
#endif

#endif /* MZMTP_CONTIKI_CONF_H */
