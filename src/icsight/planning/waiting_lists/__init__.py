"""Waiting lists as queues: Fong et al.'s formulas, statistics of (referral, removal) rows,
wait bands, a seeded simulator, and each treatment function at each provider from the lake.

Ported from NHSRwaitinglist (nhs-r-community, MIT) after K. Fong et al., "Understanding Waiting
Lists Pressures", medRxiv 2022, doi:10.1101/2022.08.23.22279117. See docs/waiting-lists.md.
"""
