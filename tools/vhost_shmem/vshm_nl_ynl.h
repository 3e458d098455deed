/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What vshm_nl.c uses of vhost_shmem-user.c beyond its header: the
 * generated parsers of the replies and their policies, which that file
 * defines for its own dump functions without declaring them.  vshm_nl.c
 * reads dumps a message at a time (see there) and parses each with them.
 */
#ifndef VSHM_NL_YNL_H
#define VSHM_NL_YNL_H

#include "ynl.h"

int vhost_shmem_ctx_get_rsp_parse(const struct nlmsghdr *nlh,
				  struct ynl_parse_arg *yarg);
int vhost_shmem_region_get_rsp_parse(const struct nlmsghdr *nlh,
				     struct ynl_parse_arg *yarg);
int vhost_shmem_mapping_get_rsp_parse(const struct nlmsghdr *nlh,
				      struct ynl_parse_arg *yarg);
extern const struct ynl_policy_nest vhost_shmem_ctx_nest;
extern const struct ynl_policy_nest vhost_shmem_region_nest;
extern const struct ynl_policy_nest vhost_shmem_mapping_nest;

#endif /* VSHM_NL_YNL_H */
