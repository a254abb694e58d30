// Table-driven tests: at least three cases per hadolint rule (fires, does not
// fire, edge). Each case lints a Dockerfile with ShellCheck and the build
// checks off and counts the findings of one rule (its severity forced to
// error so rules that default to "ignore" are visible).
#include <gtest/gtest.h>
#include <unistd.h>

#include <map>

#include "lint/catalogue.h"
#include "lint/test_util.h"

namespace kiln::lint {
namespace {

struct Case {
  const char* code;
  const char* dockerfile;
  int expected;  // number of findings of `code`
};

const Case kCases[] = {
    // DL1001: inline ignore pragmas (default severity ignore)
    {"DL1001", "# hadolint ignore=DL3006\nFROM debian\n", 1},
    {"DL1001", "# a comment\nFROM debian:12\n", 0},
    {"DL1001", "# hadolint global ignore=DL3006\nFROM debian\n", 0},
    // DL3000: absolute WORKDIR
    {"DL3000", "FROM debian:12\nWORKDIR app\n", 1},
    {"DL3000", "FROM debian:12\nWORKDIR /app\n", 0},
    {"DL3000", "FROM debian:12\nWORKDIR $HOME/app\nWORKDIR \"/quoted\"\nWORKDIR C:\\\\app\n", 0},
    // DL3001: pointless commands
    {"DL3001", "FROM debian:12\nRUN service nginx start\n", 1},
    {"DL3001", "FROM debian:12\nRUN echo ssh vim\n", 0},
    {"DL3001", "FROM debian:12\nRUN true && top -b -n1 | head\n", 1},
    // DL3002: last USER root
    {"DL3002", "FROM debian:12\nUSER root\n", 1},
    {"DL3002", "FROM debian:12\nUSER root\nRUN id\nUSER app\n", 0},
    {"DL3002", "FROM debian:12 AS a\nUSER 0:0\nFROM debian:12\nUSER app\n", 1},
    // DL3003: cd
    {"DL3003", "FROM debian:12\nRUN cd /tmp && make\n", 1},
    {"DL3003", "FROM debian:12\nWORKDIR /tmp\nRUN make\n", 0},
    {"DL3003", "FROM debian:12\nRUN make -C \"$(cd /x && pwd)\"\n", 1},
    // DL3004: sudo
    {"DL3004", "FROM debian:12\nRUN sudo apt-get update\n", 1},
    {"DL3004", "FROM debian:12\nRUN echo sudo\n", 0},
    {"DL3004", "FROM debian:12\nRUN if true; then sudo ls; fi\n", 1},
    // DL3006: untagged image
    {"DL3006", "FROM debian\n", 1},
    {"DL3006", "FROM debian:12\nFROM scratch\nFROM debian@sha256:0000000000000000000000000000000000000000000000000000000000000000\n", 0},
    {"DL3006", "FROM debian:12 AS base\nFROM base\n", 0},
    {"DL3006", "ARG IMAGE=debian:12\nFROM ${IMAGE}\nFROM node AS unit-test\n", 2},  // 2.12 reports ${IMAGE} too
    // DL3007: latest
    {"DL3007", "FROM debian:latest\n", 1},
    {"DL3007", "FROM debian:12\n", 0},
    {"DL3007", "FROM registry.example.com:5000/team/app:latest\n", 1},
    // DL3008: apt-get pinning
    {"DL3008", "FROM debian:12\nRUN apt-get install -y curl\n", 1},
    {"DL3008", "FROM debian:12\nRUN apt-get install -y curl=7.88.1 ./local.deb\n", 0},
    {"DL3008", "FROM debian:12\nRUN apt-get install -y -t bookworm-backports curl=1 && echo install\n", 0},
    // DL3009: apt lists not removed
    {"DL3009", "FROM debian:12\nRUN apt-get update && apt-get install -y curl\n", 1},
    {"DL3009", "FROM debian:12\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n", 0},
    {"DL3009", "FROM debian:12 AS build\nRUN apt-get update\nFROM debian:12\nRUN true\n", 0},
    {"DL3009", "FROM debian:12 AS base\nRUN apt-get update\nFROM base\nRUN true\n", 1},
    {"DL3009", "FROM debian:12\nRUN --mount=type=cache,target=/var/lib/apt/lists apt-get update\n", 0},
    // DL3010: archive extracted after COPY
    {"DL3010", "FROM debian:12\nCOPY app.tar.gz /tmp/\nRUN tar -xzf /tmp/app.tar.gz\n", 1},
    {"DL3010", "FROM debian:12\nCOPY app.tar.gz /tmp/\nRUN ls /tmp\n", 0},
    {"DL3010", "FROM debian:12\nCOPY app.zip.gz /tmp/\nRUN gunzip /tmp/app.zip.gz\n", 1},
    // DL3011: port range
    {"DL3011", "FROM debian:12\nEXPOSE 80 70000\n", 1},
    {"DL3011", "FROM debian:12\nEXPOSE 80/tcp 443/udp 8000-8080\n", 0},
    {"DL3011", "FROM debian:12\nEXPOSE 65535 $PORT\n", 0},
    // DL3012: multiple HEALTHCHECK
    {"DL3012", "FROM debian:12\nHEALTHCHECK CMD true\nHEALTHCHECK NONE\n", 1},
    {"DL3012", "FROM debian:12\nHEALTHCHECK CMD true\n", 0},
    {"DL3012", "FROM debian:12\nHEALTHCHECK CMD true\nFROM debian:12\nHEALTHCHECK CMD true\n", 0},
    // DL3013: pip pinning
    {"DL3013", "FROM python:3\nRUN pip install flask\n", 1},
    {"DL3013", "FROM python:3\nRUN pip install flask==2.0 -r req.txt\n", 0},
    {"DL3013", "FROM python:3\nRUN python -m pip install --index-url http://x 'flask>=2' git+https://g/x@v1\n", 0},
    {"DL3013", "FROM python:3\nRUN pip3 install --no-cache-dir requests\n", 1},
    // DL3014: apt-get -y
    {"DL3014", "FROM debian:12\nRUN apt-get install curl=1\n", 1},
    {"DL3014", "FROM debian:12\nRUN apt-get install -y curl=1\n", 0},
    {"DL3014", "FROM debian:12\nRUN apt-get -qq install curl=1 && apt-get --assume-yes install x=1\n", 0},
    // DL3015: --no-install-recommends
    {"DL3015", "FROM debian:12\nRUN apt-get install -y curl\n", 1},
    {"DL3015", "FROM debian:12\nRUN apt-get install -y --no-install-recommends curl\n", 0},
    {"DL3015", "FROM debian:12\nRUN apt-get -o APT::Install-Recommends=false install -y curl\n", 0},
    // DL3016: npm pinning
    {"DL3016", "FROM node:20\nRUN npm install express\n", 1},
    {"DL3016", "FROM node:20\nRUN npm install express@4 @scope/pkg@1.0 ./local git+https://g/x#abc\n", 0},
    {"DL3016", "FROM node:20\nRUN npm install && npm install -g @scope/pkg\n", 1},
    // DL3018: apk pinning
    {"DL3018", "FROM alpine:3\nRUN apk add curl\n", 1},
    {"DL3018", "FROM alpine:3\nRUN apk add --no-cache curl=8.0 bash=~5\n", 0},
    {"DL3018", "FROM alpine:3\nRUN apk add --no-cache bash~5\n", 1},  // 2.12: a bare ~ does not pin
    {"DL3018", "FROM alpine:3\nRUN apk add --virtual .deps gcc=1 ./x.apk\n", 0},
    // DL3019: apk --no-cache
    {"DL3019", "FROM alpine:3\nRUN apk add curl=8\n", 1},
    {"DL3019", "FROM alpine:3\nRUN apk add --no-cache curl=8\n", 0},
    {"DL3019", "FROM alpine:3\nRUN apk update && apk upgrade\n", 0},
    // DL3020: ADD for local files
    {"DL3020", "FROM debian:12\nADD app /app\n", 1},
    {"DL3020", "FROM debian:12\nADD app.tar.gz /app/\nADD https://example.com/x /x\n", 0},
    {"DL3020", "FROM debian:12\nADD [\"a.tgz\", \"b.txt\", \"/d/\"]\n", 1},
    // DL3021: COPY many sources to a non-directory
    {"DL3021", "FROM debian:12\nCOPY a b /dest\n", 1},
    {"DL3021", "FROM debian:12\nCOPY a b /dest/\n", 0},
    {"DL3021", "FROM debian:12\nCOPY [\"a\", \"b\", \"/dest/\"]\nCOPY a /dest\n", 0},
    // DL3022: COPY --from unknown
    {"DL3022", "FROM debian:12\nCOPY --from=build /a /b\n", 1},
    {"DL3022", "FROM debian:12 AS build\nFROM debian:12\nCOPY --from=build /a /b\n", 0},
    {"DL3022", "FROM debian:12\nFROM debian:12\nCOPY --from=0 /a /b\nCOPY --from=nginx:1 /a /b\n", 0},
    // DL3023: COPY --from own stage
    {"DL3023", "FROM debian:12 AS app\nCOPY --from=app /a /b\n", 1},
    {"DL3023", "FROM debian:12 AS build\nFROM debian:12 AS app\nCOPY --from=build /a /b\n", 0},
    {"DL3023", "FROM debian:12\nCOPY --from=app /a /b\n", 0},
    // DL3024: duplicate aliases
    {"DL3024", "FROM debian:12 AS a\nFROM debian:12 AS a\n", 1},
    {"DL3024", "FROM debian:12 AS a\nFROM debian:12 AS b\n", 0},
    {"DL3024", "FROM debian:12 AS a\nFROM debian:12 AS b\nFROM debian:12 AS a\nFROM debian:12 AS a\n", 2},
    // DL3025: JSON CMD/ENTRYPOINT
    {"DL3025", "FROM debian:12\nCMD echo hi\n", 1},
    {"DL3025", "FROM debian:12\nCMD [\"echo\", \"hi\"]\nENTRYPOINT [\"/bin/app\"]\n", 0},
    {"DL3025", "FROM debian:12\nENTRYPOINT /bin/app\nCMD echo\n", 2},
    // DL3027: apt
    {"DL3027", "FROM debian:12\nRUN apt install -y curl\n", 1},
    {"DL3027", "FROM debian:12\nRUN apt-get install -y curl=1\n", 0},
    {"DL3027", "FROM debian:12\nRUN echo apt && apt-cache policy\n", 0},
    // DL3028: gem pinning
    {"DL3028", "FROM ruby:3\nRUN gem install rake\n", 1},
    {"DL3028", "FROM ruby:3\nRUN gem install rake:13.0\n", 0},
    {"DL3028", "FROM ruby:3\nRUN gem install rake -v 13.0\n", 0},
    // DL3029: --platform
    {"DL3029", "FROM --platform=linux/amd64 debian:12\n", 1},
    {"DL3029", "FROM debian:12\n", 0},
    {"DL3029", "FROM --platform=$BUILDPLATFORM debian:12\n", 0},  // allowed since 2.12
    // DL3030: yum -y
    {"DL3030", "FROM centos:7\nRUN yum install httpd-2.4\n", 1},
    {"DL3030", "FROM centos:7\nRUN yum install -y httpd-2.4\n", 0},
    {"DL3030", "FROM centos:7\nRUN yum groupinstall --assumeyes tools\n", 0},
    // DL3032: yum clean all
    {"DL3032", "FROM centos:7\nRUN yum install -y httpd-2.4\n", 1},
    {"DL3032", "FROM centos:7\nRUN yum install -y httpd-2.4 && yum clean all\n", 0},
    {"DL3032", "FROM centos:7\nRUN yum update -y\n", 0},
    // DL3033: yum pinning
    {"DL3033", "FROM centos:7\nRUN yum install -y httpd\n", 1},
    {"DL3033", "FROM centos:7\nRUN yum install -y httpd-2.4 ./x.rpm\n", 0},
    {"DL3033", "FROM centos:7\nRUN yum module install -y nodejs\n", 1},
    // DL3034: zypper -y
    {"DL3034", "FROM opensuse/leap:15\nRUN zypper install curl=1\n", 1},
    {"DL3034", "FROM opensuse/leap:15\nRUN zypper install -y curl=1\n", 0},
    {"DL3034", "FROM opensuse/leap:15\nRUN zypper --no-confirm rm curl\n", 0},
    // DL3035: zypper dist-upgrade
    {"DL3035", "FROM opensuse/leap:15\nRUN zypper dist-upgrade -y\n", 1},
    {"DL3035", "FROM opensuse/leap:15\nRUN zypper update -y\n", 0},
    {"DL3035", "FROM opensuse/leap:15\nRUN zypper -n dup\n", 1},
    // DL3036: zypper clean
    {"DL3036", "FROM opensuse/leap:15\nRUN zypper install -y curl=1\n", 1},
    {"DL3036", "FROM opensuse/leap:15\nRUN zypper install -y curl=1 && zypper clean\n", 0},
    {"DL3036", "FROM opensuse/leap:15\nRUN zypper clean && zypper install -y curl=1\n", 1},
    // DL3037: zypper pinning
    {"DL3037", "FROM opensuse/leap:15\nRUN zypper install -y curl\n", 1},
    {"DL3037", "FROM opensuse/leap:15\nRUN zypper install -y curl=7 'bash>=5'\n", 0},
    {"DL3037", "FROM opensuse/leap:15\nRUN zypper in -y ./x.rpm\n", 0},
    // DL3038: dnf -y
    {"DL3038", "FROM fedora:39\nRUN dnf install httpd-2.4\n", 1},
    {"DL3038", "FROM fedora:39\nRUN dnf install -y httpd-2.4\n", 0},
    {"DL3038", "FROM fedora:39\nRUN microdnf install httpd-2.4\n", 1},
    // DL3040: dnf clean all
    {"DL3040", "FROM fedora:39\nRUN dnf install -y httpd-2.4\n", 1},
    {"DL3040", "FROM fedora:39\nRUN dnf install -y httpd-2.4 && dnf clean all\n", 0},
    {"DL3040", "FROM fedora:39\nRUN microdnf install -y x-1 && rm -rf /var/cache/yum/*\n", 0},
    // DL3041: dnf pinning
    {"DL3041", "FROM fedora:39\nRUN dnf install -y httpd\n", 1},
    {"DL3041", "FROM fedora:39\nRUN dnf install -y httpd-2.4.1 pkg-1.0.rpm\n", 0},
    {"DL3041", "FROM fedora:39\nRUN dnf install -y python3-devel\n", 0},  // 2.12: a dash pins
    // DL3042: pip cache
    {"DL3042", "FROM python:3\nRUN pip install flask==2\n", 1},
    {"DL3042", "FROM python:3\nRUN pip install --no-cache-dir flask==2\n", 0},
    {"DL3042", "FROM python:3 AS base\nENV PIP_NO_CACHE_DIR=1\nFROM base\nRUN pip install flask==2\n", 0},
    {"DL3042", "FROM python:3\nRUN PIP_NO_CACHE_DIR=true pip install flask==2 && pipx install black\n", 0},
    // DL3043: ONBUILD triggers
    {"DL3043", "FROM debian:12\nONBUILD FROM debian:12\n", 1},
    {"DL3043", "FROM debian:12\nONBUILD RUN true\n", 0},
    {"DL3043", "FROM debian:12\nONBUILD MAINTAINER me\n", 1},
    // DL3044: ENV self reference
    {"DL3044", "FROM debian:12\nENV A=1 B=$A\n", 1},
    {"DL3044", "FROM debian:12\nENV A=1\nENV B=$A\n", 0},
    {"DL3044", "FROM debian:12\nENV PATH=/x:$PATH A=${AB}\n", 0},
    // DL3045: COPY relative without WORKDIR
    {"DL3045", "FROM debian:12\nCOPY a b\n", 1},
    {"DL3045", "FROM debian:12\nWORKDIR /app\nCOPY a b\nCOPY a /abs\n", 0},
    {"DL3045", "FROM debian:12 AS base\nWORKDIR /app\nFROM base\nCOPY a b\nCOPY a $DEST\n", 0},
    // DL3046: useradd -l
    {"DL3046", "FROM debian:12\nRUN useradd -u 123456 app\n", 1},
    {"DL3046", "FROM debian:12\nRUN useradd -l -u 123456 app\n", 0},
    {"DL3046", "FROM debian:12\nRUN useradd -u 1000 app\n", 0},
    // DL3047: wget progress
    {"DL3047", "FROM debian:12\nRUN wget http://x/y\n", 1},
    {"DL3047", "FROM debian:12\nRUN wget -q http://x/y && wget --progress=dot:giga http://z\n", 0},
    {"DL3047", "FROM debian:12\nRUN wget -nv http://x/y\n", 0},
    // DL3048: label keys
    {"DL3048", "FROM debian:12\nLABEL Maintainer=me\n", 1},
    {"DL3048", "FROM debian:12\nLABEL org.opencontainers.image.title=x\n", 0},
    {"DL3048", "FROM debian:12\nLABEL com.docker.thing=x\n", 1},
    // DL3059: consecutive RUNs
    {"DL3059", "FROM debian:12\nRUN a\nRUN b\n", 1},
    {"DL3059", "FROM debian:12\nRUN a\nWORKDIR /x\nRUN b\n", 0},
    {"DL3059", "FROM debian:12\nRUN a && b && c\nRUN d\nRUN --mount=type=cache,target=/c e\n", 0},
    // DL3060: yarn cache clean
    {"DL3060", "FROM node:20\nRUN yarn install\n", 1},
    {"DL3060", "FROM node:20\nRUN yarn install && yarn cache clean\n", 0},
    {"DL3060", "FROM node:20\nRUN yarn build\n", 0},
    // DL3061: FROM first
    {"DL3061", "LABEL a=b\nFROM debian:12\n", 1},
    {"DL3061", "ARG V=12\nFROM debian:$V\n", 0},
    {"DL3061", "# syntax=docker/dockerfile:1\nFROM debian:12\nRUN true\n", 0},
    // DL3062: go install pinning
    {"DL3062", "FROM golang:1\nRUN go install example.com/tool\n", 1},
    {"DL3062", "FROM golang:1\nRUN go install example.com/tool@v1.2.3\n", 0},
    {"DL3062", "FROM golang:1\nRUN go install ./cmd/...\n", 0},
    // DL3063: reserved stage names
    {"DL3063", "FROM debian:12 AS scratch\n", 1},
    {"DL3063", "FROM debian:12 AS build\n", 0},
    {"DL3063", "FROM debian:12 AS context\n", 1},
    // DL3064: sensitive ARG/ENV
    {"DL3064", "FROM debian:12\nARG GITHUB_TOKEN\n", 1},
    {"DL3064", "FROM debian:12\nARG VERSION=1\nENV HOME=/root\n", 0},
    {"DL3064", "FROM debian:12\nENV db_password=x\n", 1},
    // DL3065: --platform=$TARGETPLATFORM
    {"DL3065", "FROM --platform=$TARGETPLATFORM debian:12\n", 1},
    {"DL3065", "FROM --platform=$BUILDPLATFORM debian:12\n", 0},
    {"DL3065", "FROM --platform=${TARGETPLATFORM} debian:12\n", 1},
    // DL3066: non-numeric uid
    {"DL3066", "FROM debian:12\nUSER app\n", 1},
    {"DL3066", "FROM debian:12\nUSER 1000:1000\n", 0},
    {"DL3066", "FROM debian:12\nUSER app:1000\n", 1},
    // DL3067: copy the whole filesystem
    {"DL3067", "FROM debian:12 AS a\nFROM debian:12\nCOPY --from=a / /\n", 1},
    {"DL3067", "FROM debian:12 AS a\nFROM debian:12\nCOPY --from=a /app /app\n", 0},
    {"DL3067", "FROM debian:12\nCOPY / /\n", 0},
    // DL4000: MAINTAINER
    {"DL4000", "FROM debian:12\nMAINTAINER me\n", 1},
    {"DL4000", "FROM debian:12\nLABEL maintainer=me\n", 0},
    {"DL4000", "FROM debian:12\nmaintainer me\n", 1},
    // DL4001: wget and curl
    {"DL4001", "FROM debian:12\nRUN wget -q x\nRUN curl y\n", 1},
    {"DL4001", "FROM debian:12\nRUN curl x && curl y\n", 0},
    {"DL4001", "FROM debian:12\nRUN wget -q x\nFROM debian:12\nRUN curl y\n", 0},
    // DL4003: multiple CMD
    {"DL4003", "FROM debian:12\nCMD [\"a\"]\nCMD [\"b\"]\n", 1},
    {"DL4003", "FROM debian:12\nCMD [\"a\"]\n", 0},
    {"DL4003", "FROM debian:12\nCMD [\"a\"]\nFROM debian:12\nCMD [\"b\"]\n", 0},
    // DL4004: multiple ENTRYPOINT
    {"DL4004", "FROM debian:12\nENTRYPOINT [\"a\"]\nENTRYPOINT [\"b\"]\n", 1},
    {"DL4004", "FROM debian:12\nENTRYPOINT [\"a\"]\n", 0},
    {"DL4004", "FROM debian:12\nENTRYPOINT [\"a\"]\nFROM debian:12\nENTRYPOINT [\"b\"]\n", 0},
    // DL4005: ln /bin/sh
    {"DL4005", "FROM debian:12\nRUN ln -sf /bin/bash /bin/sh\n", 1},
    {"DL4005", "FROM debian:12\nSHELL [\"/bin/bash\", \"-c\"]\n", 0},
    {"DL4005", "FROM debian:12\nRUN ln -s /bin/sh /usr/local/bin/sh2\n", 1},
    // DL4006: pipefail
    {"DL4006", "FROM debian:12\nRUN curl x | sh\n", 1},
    {"DL4006", "FROM debian:12\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nRUN curl x | sh\n", 0},
    {"DL4006", "FROM debian:12\nRUN a || b\nSHELL [\"pwsh\", \"-c\"]\nRUN a | b\n", 0},
    {"DL4006", "FROM debian:12\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nFROM debian:12\nRUN a | b\n", 1},
    // DL3057: HEALTHCHECK missing (default ignore)
    {"DL3057", "FROM debian:12\n", 1},
    {"DL3057", "FROM debian:12\nHEALTHCHECK CMD true\n", 0},
    {"DL3057", "FROM debian:12 AS base\nHEALTHCHECK CMD true\nFROM base\n", 0},
    // ONBUILD RUN is checked by the command rules
    {"DL3008", "FROM debian:12\nONBUILD RUN apt-get install -y curl\n", 1},
    {"DL3004", "FROM debian:12\nONBUILD RUN sudo true\n", 1},
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.code << " expecting " << c.expected; }

class RuleCase : public ::testing::TestWithParam<Case> {};

TEST_P(RuleCase, Count) {
  const Case& c = GetParam();
  LintOptions o = testing::RuleOptions(c.code);
  auto fs = testing::LintText(c.dockerfile, o);
  EXPECT_EQ(testing::Count(fs, c.code), c.expected) << c.dockerfile << "findings:\n" << testing::Describe(fs);
}

INSTANTIATE_TEST_SUITE_P(Hadolint, RuleCase, ::testing::ValuesIn(kCases));

// Every DL rule except the label-schema and registry rules (tested below) has
// at least three cases above.
TEST(RuleCatalogue, EveryRuleHasThreeCases) {
  const std::set<std::string> elsewhere = {"DL3026", "DL3049", "DL3050", "DL3051", "DL3052", "DL3053",
                                           "DL3054", "DL3055", "DL3056", "DL3058"};
  for (const auto& r : Catalogue()) {
    if (r.kind != RuleKind::kHadolint || elsewhere.count(std::string(r.code))) continue;
    int n = 0;
    for (const auto& c : kCases) n += std::string(c.code) == r.code;
    EXPECT_GE(n, 3) << r.code;
  }
}

TEST(RuleCatalogue, LiveRulesOnly) {
  for (const char* gone : {"DL3005", "DL3017", "DL3031", "DL3039", "DL4002"}) EXPECT_EQ(FindRule(gone), nullptr) << gone;
  for (int i = 3000; i <= 3067; ++i) {
    std::string code = "DL" + std::to_string(i);
    if (code == "DL3005" || code == "DL3017" || code == "DL3031" || code == "DL3039") continue;
    EXPECT_NE(FindRule(code), nullptr) << code;
  }
  EXPECT_EQ(FindRule("DL3006")->severity, Severity::kWarning);
  EXPECT_EQ(FindRule("DL3020")->severity, Severity::kError);
  EXPECT_EQ(FindRule("DL3009")->severity, Severity::kInfo);
  EXPECT_EQ(FindRule("DL3048")->severity, Severity::kStyle);
  EXPECT_EQ(FindRule("DL1001")->severity, Severity::kIgnore);
}

// The rules added after 2.12 report by default, at hadolint 2.15.1's severities.
TEST(RuleCatalogue, PostTwelveRulesAtHadolint2151Defaults) {
  const std::pair<const char*, Severity> want[] = {
      {"DL3062", Severity::kWarning}, {"DL3063", Severity::kWarning}, {"DL3064", Severity::kWarning},
      {"DL3065", Severity::kWarning}, {"DL3066", Severity::kInfo},    {"DL3067", Severity::kWarning}};
  for (const auto& [code, sev] : want) EXPECT_EQ(FindRule(code)->severity, sev) << code;

  LintOptions o;  // no overrides: the catalogue's defaults
  o.shellcheck = false;
  o.build_checks = false;
  auto fs = testing::LintText(
      "FROM --platform=$TARGETPLATFORM golang:1.22 AS scratch\n"  // DL3065, DL3063
      "ARG GITHUB_TOKEN\n"                                         // DL3064
      "RUN go install example.com/tool\n"                          // DL3062
      "FROM debian:12\n"
      "COPY --from=scratch / /\n"                                  // DL3067
      "USER app\n",                                                // DL3066
      o);
  std::map<std::string, std::pair<int, Severity>> got;
  for (const auto& f : fs) got[f.code] = {f.line, f.severity};
  EXPECT_EQ(got["DL3065"], std::make_pair(1, Severity::kWarning));
  EXPECT_EQ(got["DL3063"], std::make_pair(1, Severity::kWarning));
  EXPECT_EQ(got["DL3064"], std::make_pair(2, Severity::kWarning));
  EXPECT_EQ(got["DL3062"], std::make_pair(3, Severity::kWarning));
  EXPECT_EQ(got["DL3067"], std::make_pair(5, Severity::kWarning));
  EXPECT_EQ(got["DL3066"], std::make_pair(6, Severity::kInfo));

  // Silenced the usual ways: --ignore and an `ignore` override.
  o.ignored.insert("DL3066");
  o.overrides["DL3067"] = Severity::kIgnore;
  int left = 0;
  for (const auto& f : testing::LintText("FROM debian:12 AS a\nFROM debian:12\nCOPY --from=a / /\nUSER app\n", o))
    left += f.code == "DL3066" || f.code == "DL3067";
  EXPECT_EQ(left, 0);
}

TEST(RuleMessages, ExactHadolintText) {
  LintOptions o;
  o.shellcheck = false;
  o.build_checks = false;
  auto fs = testing::LintText("FROM debian\nRUN apt-get update && apt-get install -y curl\n", o);
  ASSERT_EQ(testing::Count(fs, "DL3006"), 1);
  EXPECT_EQ(fs[0].message, "Always tag the version of an image explicitly");
  EXPECT_EQ(fs[0].line, 1);
  bool dl3008 = false;
  for (const auto& f : fs)
    if (f.code == "DL3008") {
      dl3008 = true;
      EXPECT_EQ(f.message,
                "Pin versions in apt get install. Instead of `apt-get install <package>` use `apt-get install "
                "<package>=<version>`");
      EXPECT_EQ(f.line, 2);
    }
  EXPECT_TRUE(dl3008);
}

TEST(TrustedRegistries, Dl3026) {
  LintOptions o;
  o.shellcheck = false;
  o.build_checks = false;
  o.trusted_registries = {"docker.io", "*.gcr.io"};
  EXPECT_EQ(testing::Count(testing::LintText("FROM quay.io/x/y:1\n", o), "DL3026"), 1);
  EXPECT_EQ(testing::Count(testing::LintText("FROM debian:12\nFROM eu.gcr.io/p/i:1\nFROM scratch\n", o), "DL3026"), 0);
  EXPECT_EQ(testing::Count(testing::LintText("FROM debian:12 AS base\nFROM base\n", o), "DL3026"), 0);
  o.trusted_registries = {"my.registry:5000"};
  EXPECT_EQ(testing::Count(testing::LintText("FROM debian:12\n", o), "DL3026"), 1);
  o.trusted_registries.clear();
  EXPECT_EQ(testing::Count(testing::LintText("FROM quay.io/x/y:1\n", o), "DL3026"), 0);
}

TEST(LabelSchema, Rules) {
  LintOptions o;
  o.shellcheck = false;
  o.build_checks = false;
  o.label_schema = {{"version", "semver"}, {"url", "url"}, {"created", "rfc3339"}, {"license", "spdx"},
                    {"rev", "hash"},       {"mail", "email"}, {"author", "text"}};
  auto bad = testing::LintText(
      "FROM debian:12\nLABEL version=1.x url=nope created=yesterday license=Nope rev=xyz mail=nomail author=\"\"\n", o);
  for (const char* code : {"DL3051", "DL3052", "DL3053", "DL3054", "DL3055", "DL3056", "DL3058"})
    EXPECT_EQ(testing::Count(bad, code), 1) << code << testing::Describe(bad);
  auto good = testing::LintText(
      "FROM debian:12\nLABEL version=1.2.3 url=https://example.com created=2024-01-02T03:04:05Z license=MIT "
      "rev=0123abc mail=a@b.org author=me\n",
      o);
  for (const char* code : {"DL3049", "DL3051", "DL3052", "DL3053", "DL3054", "DL3055", "DL3056", "DL3058"})
    EXPECT_EQ(testing::Count(good, code), 0) << code << testing::Describe(good);
  // DL3049: missing per stage, with the message naming the label
  o.label_schema = {{"author", "text"}};
  auto missing = testing::LintText("FROM debian:12 AS build\nFROM debian:12\nCOPY --from=build /a /b\n", o);
  EXPECT_EQ(testing::Count(missing, "DL3049"), 1) << testing::Describe(missing);
  EXPECT_EQ(missing[0].message, "Label `author` is missing.");
  EXPECT_EQ(testing::Count(testing::LintText("FROM debian:12 AS b\nLABEL author=x\nFROM b\n", o), "DL3049"), 0);
  // DL3050 with strict labels
  o.strict_labels = true;
  EXPECT_EQ(testing::Count(testing::LintText("FROM debian:12\nLABEL author=x other=y\n", o), "DL3050"), 1);
  EXPECT_EQ(testing::Count(testing::LintText("FROM debian:12\nLABEL author=x\n", o), "DL3050"), 0);
  o.strict_labels = false;
  EXPECT_EQ(testing::Count(testing::LintText("FROM debian:12\nLABEL author=x other=y\n", o), "DL3050"), 0);
}

}  // namespace
}  // namespace kiln::lint

namespace kiln::lint {
namespace {
TEST(RuleCatalogue, EveryRuleHasADocPage) {
  for (const auto& r : Catalogue()) {
    std::string path = std::string(KILN_SOURCE_DIR) + "/" + DocPath(r.code);
    EXPECT_EQ(access(path.c_str(), R_OK), 0) << path;
  }
}
}  // namespace
}  // namespace kiln::lint
