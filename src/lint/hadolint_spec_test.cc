// hadolint 2.12's own rule specs (test/Hadolint/Rule/DL*Spec.hs) as cases: each
// Dockerfile is linted with ShellCheck and the build checks off, the rule's
// severity forced to error, and the rule must fire (at the given lines, when
// listed) or stay silent. Cases marked `onbuild` in hadolint's specs appear twice:
// once as written and once with every RUN wrapped in ONBUILD. Where hadolint's
// later releases changed a rule (DL3016 --registry, DL3028 extra args, DL3041
// version parts), the 2.12 behaviour is what is expected here.
#include <gtest/gtest.h>

#include <sstream>

#include "lint/catalogue.h"
#include "lint/shellcheck.h"
#include "lint/test_util.h"

namespace kiln::lint {
namespace {

struct SpecCase {
  const char* code;
  const char* dockerfile;
  bool fires;
  const char* lines;       // "3,5": the exact lines (empty: any)
  const char* registries;  // trusted registries, comma-separated (DL3026)
  const char* labels = "";  // label schema "name:type,..." (DL3049-DL3058)
  bool strict_labels = false;
};

const SpecCase kSpecs[] = {
    {"DL3003", R"D(RUN cd /opt
)D", true, "", "", "", false},
    {"DL3003", R"D(WORKDIR /opt
)D", false, "", "", "", false},
    {"DL3006", R"D(FROM debian
)D", true, "", "", "", false},
    {"DL3006", R"D(FROM debian AS builder
)D", true, "", "", "", false},
    {"DL3006", R"D(FROM ruby@sha256:f1dbca0f5dbc9
)D", false, "", "", "", false},
    {"DL3006", R"D(FROM ruby:2
)D", false, "", "", "", false},
    {"DL3006", R"D(FROM ${VALUE}
)D", true, "", "", "", false},
    {"DL3006", R"D(FROM golang:1.9.3-alpine3.7 AS build
RUN foo
FROM build as unit-test
RUN bar
FROM alpine:3.7
RUN baz
)D", false, "", "", "", false},
    {"DL3006", R"D(FROM golang:1.9.3-alpine3.7 AS build
RUN foo
FROM node as unit-test
RUN bar
FROM alpine:3.7
RUN baz
)D", true, "", "", "", false},
    {"DL3006", R"D(FROM scratch
)D", false, "", "", "", false},
    {"DL3007", R"D(FROM debian:latest
)D", true, "", "", "", false},
    {"DL3007", R"D(FROM debian:latest AS builder
)D", true, "", "", "", false},
    {"DL3007", R"D(FROM debian:jessie
)D", false, "", "", "", false},
    {"DL3007", R"D(FROM hub.docker.io/debian@sha256:7959ed6f7e35f8b1aaa06d1d8259d4ee25aa85a086d5c125480c333183f9deeb
)D", false, "", "", "", false},
    {"DL3008", R"D(RUN apt-get update && apt-get install python
)D", true, "", "", "", false},
    {"DL3008", R"D(ONBUILD RUN apt-get update && apt-get install python
)D", true, "", "", "", false},
    {"DL3008", R"D(RUN apt-get update \
 && apt-get -yqq --no-install-recommends install nodejs=0.10 \
 && rm -rf /var/lib/apt/lists/*
)D", false, "", "", "", false},
    {"DL3008", R"D(ONBUILD RUN apt-get update \
 && apt-get -yqq --no-install-recommends install nodejs=0.10 \
 && rm -rf /var/lib/apt/lists/*
)D", false, "", "", "", false},
    {"DL3008", R"D(RUN apt-get update && apt-get install --no-install-recommends -y \
python-demjson=2.2.2* \
wget=1.16.1* \
git=1:2.5.0* \
ruby=1:2.1.*
)D", false, "", "", "", false},
    {"DL3008", R"D(ONBUILD RUN apt-get update && apt-get install --no-install-recommends -y \
python-demjson=2.2.2* \
wget=1.16.1* \
git=1:2.5.0* \
ruby=1:2.1.*
)D", false, "", "", "", false},
    {"DL3008", R"D(RUN apt-get install -y python=1.2.2
)D", false, "", "", "", false},
    {"DL3008", R"D(ONBUILD RUN apt-get install -y python=1.2.2
)D", false, "", "", "", false},
    {"DL3008", R"D(RUN apt-get install ./wkhtmltox_0.12.5-1.bionic_amd64.deb
)D", false, "", "", "", false},
    {"DL3008", R"D(ONBUILD RUN apt-get install ./wkhtmltox_0.12.5-1.bionic_amd64.deb
)D", false, "", "", "", false},
    {"DL3008", R"D(RUN apt-get -y --no-install-recommends install nodejs=0.10
)D", false, "", "", "", false},
    {"DL3008", R"D(ONBUILD RUN apt-get -y --no-install-recommends install nodejs=0.10
)D", false, "", "", "", false},
    {"DL3008", R"D(RUN set -e &&\
 echo "deb http://http.debian.net/debian jessie-backports main" > /etc/apt/sources.list.d/jessie-backports.list &&\
 apt-get update &&\
 apt-get install -y --no-install-recommends -t jessie-backports openjdk-8-jdk=8u131-b11-1~bpo8+1 &&\
 rm -rf /var/lib/apt/lists/*
)D", false, "", "", "", false},
    {"DL3008", R"D(ONBUILD RUN set -e &&\
 echo "deb http://http.debian.net/debian jessie-backports main" > /etc/apt/sources.list.d/jessie-backports.list &&\
 apt-get update &&\
 apt-get install -y --no-install-recommends -t jessie-backports openjdk-8-jdk=8u131-b11-1~bpo8+1 &&\
 rm -rf /var/lib/apt/lists/*
)D", false, "", "", "", false},
    {"DL3009", R"D(FROM scratch
RUN apt-get update && apt-get install python
)D", true, "", "", "", false},
    {"DL3009", R"D(FROM scratch
ONBUILD RUN apt-get update && apt-get install python
)D", true, "", "", "", false},
    {"DL3009", R"D(FROM ubuntu as foo
RUN apt-get update && apt-get install python
FROM scratch
RUN echo hey!
)D", false, "", "", "", false},
    {"DL3009", R"D(FROM ubuntu as foo
ONBUILD RUN apt-get update && apt-get install python
FROM scratch
RUN echo hey!
)D", true, "", "", "", false},
    {"DL3009", R"D(FROM ubuntu as foo
RUN hey!
FROM scratch
RUN apt-get update && apt-get install python
)D", true, "", "", "", false},
    {"DL3009", R"D(FROM ubuntu as foo
ONBUILD RUN hey!
FROM scratch
ONBUILD RUN apt-get update && apt-get install python
)D", true, "", "", "", false},
    {"DL3009", R"D(FROM ubuntu as foo
RUN apt-get update && apt-get install python
FROM foo
RUN hey!
)D", true, "", "", "", false},
    {"DL3009", R"D(FROM ubuntu as foo
ONBUILD RUN apt-get update && apt-get install python
FROM foo
ONBUILD RUN hey!
)D", true, "", "", "", false},
    {"DL3009", R"D(FROM ubuntu as foo
RUN apt-get update && apt-get install python && rm -rf /var/lib/apt/lists/*
FROM foo
RUN hey!
)D", false, "", "", "", false},
    {"DL3009", R"D(FROM ubuntu as foo
ONBUILD RUN apt-get update && apt-get install python && rm -rf /var/lib/apt/lists/*
FROM foo
ONBUILD RUN hey!
)D", false, "", "", "", false},
    {"DL3009", R"D(FROM scratch
RUN apt-get update && apt-get install python && rm -rf /var/lib/apt/lists/*
)D", false, "", "", "", false},
    {"DL3009", R"D(FROM scratch
ONBUILD RUN apt-get update && apt-get install python && rm -rf /var/lib/apt/lists/*
)D", false, "", "", "", false},
    {"DL3009", R"D(RUN --mount=type=cache,target=/var/lib/apt/lists \
    apt-get update && apt-get install python
)D", false, "", "", "", false},
    {"DL3009", R"D(ONBUILD RUN --mount=type=cache,target=/var/lib/apt/lists \
    apt-get update && apt-get install python
)D", false, "", "", "", false},
    {"DL3009", R"D(RUN --mount=type=cache,target=/var/lib/apt \
    --mount=type=cache,target=/var/cache/apt \
    rm -f /etc/apt/apt.conf.d/docker-clean && \
    apt-get update && apt-get install python
)D", false, "", "", "", false},
    {"DL3009", R"D(ONBUILD RUN --mount=type=cache,target=/var/lib/apt \
    --mount=type=cache,target=/var/cache/apt \
    rm -f /etc/apt/apt.conf.d/docker-clean && \
    apt-get update && apt-get install python
)D", false, "", "", "", false},
    {"DL3009", R"D(RUN rm -f /etc/apt/apt.conf.d/docker-clean
RUN --mount=type=cache,target=/var/cache/apt \
    --mount=type=cache,target=/var/lib/apt \
    apt-get update && apt-get install foo
)D", false, "", "", "", false},
    {"DL3009", R"D(ONBUILD RUN rm -f /etc/apt/apt.conf.d/docker-clean
ONBUILD RUN --mount=type=cache,target=/var/cache/apt \
    --mount=type=cache,target=/var/lib/apt \
    apt-get update && apt-get install foo
)D", false, "", "", "", false},
    {"DL3009", R"D(RUN --mount=type=cache,target=/var/cache/apt \
    rm -f /etc/apt/apt.conf.d/docker-clean && \
    apt-get update && apt-get install python
)D", true, "", "", "", false},
    {"DL3009", R"D(ONBUILD RUN --mount=type=cache,target=/var/cache/apt \
    rm -f /etc/apt/apt.conf.d/docker-clean && \
    apt-get update && apt-get install python
)D", true, "", "", "", false},
    {"DL3009", R"D(RUN rm -f /etc/apt/apt.conf.d/docker-clean
RUN --mount=type=cache,target=/var/lib/apt \
    apt-get update && apt-get install python
)D", true, "", "", "", false},
    {"DL3009", R"D(ONBUILD RUN rm -f /etc/apt/apt.conf.d/docker-clean
ONBUILD RUN --mount=type=cache,target=/var/lib/apt \
    apt-get update && apt-get install python
)D", true, "", "", "", false},
    {"DL3013", R"D(RUN pip2 install MySQL_python
)D", true, "", "", "", false},
    {"DL3013", R"D(ONBUILD RUN pip2 install MySQL_python
)D", true, "", "", "", false},
    {"DL3013", R"D(RUN pip3 install MySQL_python
)D", true, "", "", "", false},
    {"DL3013", R"D(ONBUILD RUN pip3 install MySQL_python
)D", true, "", "", "", false},
    {"DL3013", R"D(RUN pip3 install MySQL_python==1.2.2
)D", false, "", "", "", false},
    {"DL3013", R"D(ONBUILD RUN pip3 install MySQL_python==1.2.2
)D", false, "", "", "", false},
    {"DL3013", R"D(RUN pip3 install mypkg.whl
)D", false, "", "", "", false},
    {"DL3013", R"D(ONBUILD RUN pip3 install mypkg.whl
)D", false, "", "", "", false},
    {"DL3013", R"D(RUN pip3 install mypkg.tar.gz
)D", false, "", "", "", false},
    {"DL3013", R"D(ONBUILD RUN pip3 install mypkg.tar.gz
)D", false, "", "", "", false},
    {"DL3013", R"D(RUN pip install -r requirements.txt
)D", false, "", "", "", false},
    {"DL3013", R"D(ONBUILD RUN pip install -r requirements.txt
)D", false, "", "", "", false},
    {"DL3013", R"D(RUN pip install --requirement requirements.txt
)D", false, "", "", "", false},
    {"DL3013", R"D(ONBUILD RUN pip install --requirement requirements.txt
)D", false, "", "", "", false},
    {"DL3013", R"D(RUN pip install .
)D", false, "", "", "", false},
    {"DL3013", R"D(ONBUILD RUN pip install .
)D", false, "", "", "", false},
    {"DL3013", R"D(RUN pip install MySQL_python
)D", true, "", "", "", false},
    {"DL3013", R"D(ONBUILD RUN pip install MySQL_python
)D", true, "", "", "", false},
    {"DL3013", R"D(RUN pip install MySQL_python~=1.2.2
)D", false, "", "", "", false},
    {"DL3013", R"D(ONBUILD RUN pip install MySQL_python~=1.2.2
)D", false, "", "", "", false},
    {"DL3013", R"D(RUN pip install MySQL_python===1.2.2
)D", false, "", "", "", false},
    {"DL3013", R"D(ONBUILD RUN pip install MySQL_python===1.2.2
)D", false, "", "", "", false},
    {"DL3013", R"D(RUN pip install --ignore-installed MySQL_python==1.2.2
)D", false, "", "", "", false},
    {"DL3013", R"D(ONBUILD RUN pip install --ignore-installed MySQL_python==1.2.2
)D", false, "", "", "", false},
    {"DL3013", R"D(RUN pip3 install --build /opt/yamllint yamllint==1.20.0
)D", false, "", "", "", false},
    {"DL3013", R"D(ONBUILD RUN pip3 install --build /opt/yamllint yamllint==1.20.0
)D", false, "", "", "", false},
    {"DL3013", R"D(RUN pip3 install --prefix /opt/yamllint yamllint==1.20.0
)D", false, "", "", "", false},
    {"DL3013", R"D(ONBUILD RUN pip3 install --prefix /opt/yamllint yamllint==1.20.0
)D", false, "", "", "", false},
    {"DL3013", R"D(RUN pip3 install --root /opt/yamllint yamllint==1.20.0
)D", false, "", "", "", false},
    {"DL3013", R"D(ONBUILD RUN pip3 install --root /opt/yamllint yamllint==1.20.0
)D", false, "", "", "", false},
    {"DL3013", R"D(RUN pip3 install --target /opt/yamllint yamllint==1.20.0
)D", false, "", "", "", false},
    {"DL3013", R"D(ONBUILD RUN pip3 install --target /opt/yamllint yamllint==1.20.0
)D", false, "", "", "", false},
    {"DL3013", R"D(RUN pip3 install --trusted-host host example==1.2.2
)D", false, "", "", "", false},
    {"DL3013", R"D(ONBUILD RUN pip3 install --trusted-host host example==1.2.2
)D", false, "", "", "", false},
    {"DL3013", R"D(RUN python -m pip install example==1.2.2
)D", false, "", "", "", false},
    {"DL3013", R"D(ONBUILD RUN python -m pip install example==1.2.2
)D", false, "", "", "", false},
    {"DL3013", R"D(RUN python -m pip install example
)D", true, "", "", "", false},
    {"DL3013", R"D(ONBUILD RUN python -m pip install example
)D", true, "", "", "", false},
    {"DL3013", R"D(RUN python -m pip install --index-url url example
)D", true, "", "", "", false},
    {"DL3013", R"D(ONBUILD RUN python -m pip install --index-url url example
)D", true, "", "", "", false},
    {"DL3013", R"D(RUN pip install git+https://github.com/rtfd/r-ext.git@0.6-alpha#egg=r-ext
)D", false, "", "", "", false},
    {"DL3013", R"D(ONBUILD RUN pip install git+https://github.com/rtfd/r-ext.git@0.6-alpha#egg=r-ext
)D", false, "", "", "", false},
    {"DL3013", R"D(RUN pip install git+https://github.com/rtfd/read-ext.git#egg=read-ext
)D", true, "", "", "", false},
    {"DL3013", R"D(ONBUILD RUN pip install git+https://github.com/rtfd/read-ext.git#egg=read-ext
)D", true, "", "", "", false},
    {"DL3013", R"D(RUN pip install 'alabaster>=0.7'
)D", false, "", "", "", false},
    {"DL3013", R"D(ONBUILD RUN pip install 'alabaster>=0.7'
)D", false, "", "", "", false},
    {"DL3013", R"D(RUN pip install 'alabaster<0.7'
)D", false, "", "", "", false},
    {"DL3013", R"D(ONBUILD RUN pip install 'alabaster<0.7'
)D", false, "", "", "", false},
    {"DL3013", R"D(RUN pip install 'alabaster!=0.7'
)D", false, "", "", "", false},
    {"DL3013", R"D(ONBUILD RUN pip install 'alabaster!=0.7'
)D", false, "", "", "", false},
    {"DL3013", R"D(RUN pip install MySQL_python==1.2.2 --user
)D", false, "", "", "", false},
    {"DL3013", R"D(ONBUILD RUN pip install MySQL_python==1.2.2 --user
)D", false, "", "", "", false},
    {"DL3013", R"D(RUN pip install MySQL_python==1.2.2 --disable-pip-version-check
)D", false, "", "", "", false},
    {"DL3013", R"D(ONBUILD RUN pip install MySQL_python==1.2.2 --disable-pip-version-check
)D", false, "", "", "", false},
    {"DL3013", R"D(RUN pip install --index-url https://eg.com/foo foobar==1.0.0
)D", false, "", "", "", false},
    {"DL3013", R"D(ONBUILD RUN pip install --index-url https://eg.com/foo foobar==1.0.0
)D", false, "", "", "", false},
    {"DL3013", R"D(RUN pip install --index-url https://eg.com/foo --extra-index-url https://ex-eg.io/foo foobar==1.0.0
)D", false, "", "", "", false},
    {"DL3013", R"D(ONBUILD RUN pip install --index-url https://eg.com/foo --extra-index-url https://ex-eg.io/foo foobar==1.0.0
)D", false, "", "", "", false},
    {"DL3013", R"D(RUN pip install MySQL_python==1.2.2 --no-cache-dir
)D", false, "", "", "", false},
    {"DL3013", R"D(ONBUILD RUN pip install MySQL_python==1.2.2 --no-cache-dir
)D", false, "", "", "", false},
    {"DL3013", R"D(RUN pip install pykafka --constraint http://foo.bar.baz
)D", false, "", "", "", false},
    {"DL3013", R"D(ONBUILD RUN pip install pykafka --constraint http://foo.bar.baz
)D", false, "", "", "", false},
    {"DL3013", R"D(RUN pip install pykafka -c http://foo.bar.baz
)D", false, "", "", "", false},
    {"DL3013", R"D(ONBUILD RUN pip install pykafka -c http://foo.bar.baz
)D", false, "", "", "", false},
    {"DL3013", R"D(RUN pip install --index-url https://user:pass@eg.com/foo --extra-index-url https://user:pass@ex-eg.io/foo foobar==1.0.0
)D", false, "", "", "", false},
    {"DL3013", R"D(ONBUILD RUN pip install --index-url https://user:pass@eg.com/foo --extra-index-url https://user:pass@ex-eg.io/foo foobar==1.0.0
)D", false, "", "", "", false},
    {"DL3015", R"D(RUN apt-get install --no-install-recommends python
)D", false, "", "", "", false},
    {"DL3015", R"D(ONBUILD RUN apt-get install --no-install-recommends python
)D", false, "", "", "", false},
    {"DL3015", R"D(RUN apt-get install python
)D", true, "", "", "", false},
    {"DL3015", R"D(ONBUILD RUN apt-get install python
)D", true, "", "", "", false},
    {"DL3015", R"D(RUN apt-get -y install python
)D", true, "", "", "", false},
    {"DL3015", R"D(ONBUILD RUN apt-get -y install python
)D", true, "", "", "", false},
    {"DL3015", R"D(RUN apt-get -o APT::Install-Recommends=false install python
)D", false, "", "", "", false},
    {"DL3015", R"D(ONBUILD RUN apt-get -o APT::Install-Recommends=false install python
)D", false, "", "", "", false},
    {"DL3016", R"D(RUN npm install
)D", false, "", "", "", false},
    {"DL3016", R"D(ONBUILD RUN npm install
)D", false, "", "", "", false},
    {"DL3016", R"D(RUN npm install --progress=false
)D", false, "", "", "", false},
    {"DL3016", R"D(ONBUILD RUN npm install --progress=false
)D", false, "", "", "", false},
    {"DL3016", R"D(RUN npm install express@4.1.1
)D", false, "", "", "", false},
    {"DL3016", R"D(ONBUILD RUN npm install express@4.1.1
)D", false, "", "", "", false},
    {"DL3016", R"D(RUN npm install @myorg/privatepackage@">=0.1.0"
)D", false, "", "", "", false},
    {"DL3016", R"D(ONBUILD RUN npm install @myorg/privatepackage@">=0.1.0"
)D", false, "", "", "", false},
    {"DL3016", R"D(RUN npm install express@"4.1.1" sax@0.1.1
)D", false, "", "", "", false},
    {"DL3016", R"D(ONBUILD RUN npm install express@"4.1.1" sax@0.1.1
)D", false, "", "", "", false},
    {"DL3016", R"D(RUN npm install --global express@"4.1.1"
)D", false, "", "", "", false},
    {"DL3016", R"D(ONBUILD RUN npm install --global express@"4.1.1"
)D", false, "", "", "", false},
    {"DL3016", R"D(RUN npm install -g express@"4.1.1"
)D", false, "", "", "", false},
    {"DL3016", R"D(ONBUILD RUN npm install -g express@"4.1.1"
)D", false, "", "", "", false},
    {"DL3016", R"D(RUN npm install package-v1.2.3.tar
)D", false, "", "", "", false},
    {"DL3016", R"D(ONBUILD RUN npm install package-v1.2.3.tar
)D", false, "", "", "", false},
    {"DL3016", R"D(RUN npm install package-v1.2.3.tar.gz
)D", false, "", "", "", false},
    {"DL3016", R"D(ONBUILD RUN npm install package-v1.2.3.tar.gz
)D", false, "", "", "", false},
    {"DL3016", R"D(RUN npm install package-v1.2.3.tgz
)D", false, "", "", "", false},
    {"DL3016", R"D(ONBUILD RUN npm install package-v1.2.3.tgz
)D", false, "", "", "", false},
    {"DL3016", R"D(RUN npm install /folder
)D", false, "", "", "", false},
    {"DL3016", R"D(ONBUILD RUN npm install /folder
)D", false, "", "", "", false},
    {"DL3016", R"D(RUN npm install ./folder
)D", false, "", "", "", false},
    {"DL3016", R"D(ONBUILD RUN npm install ./folder
)D", false, "", "", "", false},
    {"DL3016", R"D(RUN npm install ../folder
)D", false, "", "", "", false},
    {"DL3016", R"D(ONBUILD RUN npm install ../folder
)D", false, "", "", "", false},
    {"DL3016", R"D(RUN npm install ~/folder
)D", false, "", "", "", false},
    {"DL3016", R"D(ONBUILD RUN npm install ~/folder
)D", false, "", "", "", false},
    {"DL3016", R"D(RUN npm install git+ssh://git@github.com:npm/npm.git#v1.0.27
)D", false, "", "", "", false},
    {"DL3016", R"D(ONBUILD RUN npm install git+ssh://git@github.com:npm/npm.git#v1.0.27
)D", false, "", "", "", false},
    {"DL3016", R"D(RUN npm install git+http://isaacs@github.com/npm/npm#semver:^5.0
)D", false, "", "", "", false},
    {"DL3016", R"D(ONBUILD RUN npm install git+http://isaacs@github.com/npm/npm#semver:^5.0
)D", false, "", "", "", false},
    {"DL3016", R"D(RUN npm install git+https://isaacs@github.com/npm/npm.git#v1.0.27
)D", false, "", "", "", false},
    {"DL3016", R"D(ONBUILD RUN npm install git+https://isaacs@github.com/npm/npm.git#v1.0.27
)D", false, "", "", "", false},
    {"DL3016", R"D(RUN npm install git://github.com/npm/npm.git#v1.0.27
)D", false, "", "", "", false},
    {"DL3016", R"D(ONBUILD RUN npm install git://github.com/npm/npm.git#v1.0.27
)D", false, "", "", "", false},
    {"DL3016", R"D(RUN npm run --crazy install
)D", false, "", "", "", false},
    {"DL3016", R"D(ONBUILD RUN npm run --crazy install
)D", false, "", "", "", false},
    {"DL3016", R"D(RUN npm install @myorg/privatepackage@">=0.1.0 <0.2.0"
)D", false, "", "", "", false},
    {"DL3016", R"D(ONBUILD RUN npm install @myorg/privatepackage@">=0.1.0 <0.2.0"
)D", false, "", "", "", false},
    {"DL3016", R"D(RUN npm install express
)D", true, "", "", "", false},
    {"DL3016", R"D(ONBUILD RUN npm install express
)D", true, "", "", "", false},
    {"DL3016", R"D(RUN npm install @myorg/privatepackage
)D", true, "", "", "", false},
    {"DL3016", R"D(ONBUILD RUN npm install @myorg/privatepackage
)D", true, "", "", "", false},
    {"DL3016", R"D(RUN npm install express sax@0.1.1
)D", true, "", "", "", false},
    {"DL3016", R"D(ONBUILD RUN npm install express sax@0.1.1
)D", true, "", "", "", false},
    {"DL3016", R"D(RUN npm install --global express
)D", true, "", "", "", false},
    {"DL3016", R"D(ONBUILD RUN npm install --global express
)D", true, "", "", "", false},
    {"DL3016", R"D(RUN npm install git+ssh://git@github.com:npm/npm.git
)D", true, "", "", "", false},
    {"DL3016", R"D(ONBUILD RUN npm install git+ssh://git@github.com:npm/npm.git
)D", true, "", "", "", false},
    {"DL3016", R"D(RUN npm install git+http://isaacs@github.com/npm/npm
)D", true, "", "", "", false},
    {"DL3016", R"D(ONBUILD RUN npm install git+http://isaacs@github.com/npm/npm
)D", true, "", "", "", false},
    {"DL3016", R"D(RUN npm install git+https://isaacs@github.com/npm/npm.git
)D", true, "", "", "", false},
    {"DL3016", R"D(ONBUILD RUN npm install git+https://isaacs@github.com/npm/npm.git
)D", true, "", "", "", false},
    {"DL3016", R"D(RUN npm install git://github.com/npm/npm.git
)D", true, "", "", "", false},
    {"DL3016", R"D(ONBUILD RUN npm install git://github.com/npm/npm.git
)D", true, "", "", "", false},
    {"DL3016", R"D(RUN npm install --loglevel verbose sax@0.1.1
)D", false, "", "", "", false},
    {"DL3016", R"D(ONBUILD RUN npm install --loglevel verbose sax@0.1.1
)D", false, "", "", "", false},
    {"DL3016", R"D(RUN npm install --registry https://example.com sax@0.1.1
)D", true, "", "", "", false},
    {"DL3016", R"D(ONBUILD RUN npm install --registry https://example.com sax@0.1.1
)D", true, "", "", "", false},
    {"DL3016", R"D(RUN npm install --registry https://example.com express
)D", true, "", "", "", false},
    {"DL3016", R"D(ONBUILD RUN npm install --registry https://example.com express
)D", true, "", "", "", false},
    {"DL3016", R"D(RUN npm install --registry=https://example.com express
)D", true, "", "", "", false},
    {"DL3016", R"D(ONBUILD RUN npm install --registry=https://example.com express
)D", true, "", "", "", false},
    {"DL3018", R"D(RUN apk add flex
)D", true, "", "", "", false},
    {"DL3018", R"D(ONBUILD RUN apk add flex
)D", true, "", "", "", false},
    {"DL3018", R"D(RUN apk add flex=2.6.4-r1
)D", false, "", "", "", false},
    {"DL3018", R"D(ONBUILD RUN apk add flex=2.6.4-r1
)D", false, "", "", "", false},
    {"DL3018", R"D(RUN apk add --no-cache git~2.52.0
)D", true, "", "", "", false},
    {"DL3018", R"D(ONBUILD RUN apk add --no-cache git~2.52.0
)D", true, "", "", "", false},
    {"DL3018", R"D(RUN apk add --no-cache flex=2.6.4-r1 \
 && pip install -r requirements.txt
)D", false, "", "", "", false},
    {"DL3018", R"D(ONBUILD RUN apk add --no-cache flex=2.6.4-r1 \
 && pip install -r requirements.txt
)D", false, "", "", "", false},
    {"DL3018", R"D(RUN apk add --no-cache \
flex=2.6.4-r1 \
libffi=3.2.1-r3 \
python2=2.7.13-r1 \
libbz2=1.0.6-r5
)D", false, "", "", "", false},
    {"DL3018", R"D(ONBUILD RUN apk add --no-cache \
flex=2.6.4-r1 \
libffi=3.2.1-r3 \
python2=2.7.13-r1 \
libbz2=1.0.6-r5
)D", false, "", "", "", false},
    {"DL3018", R"D(RUN apk add --no-cache \
flex=2.6.4-r1 \
libffi \
python2=2.7.13-r1 \
libbz2=1.0.6-r5
)D", true, "", "", "", false},
    {"DL3018", R"D(ONBUILD RUN apk add --no-cache \
flex=2.6.4-r1 \
libffi \
python2=2.7.13-r1 \
libbz2=1.0.6-r5
)D", true, "", "", "", false},
    {"DL3018", R"D(RUN apk add \
--virtual build-dependencies \
python-dev=1.1.1 build-base=2.2.2 wget=3.3.3 \
&& pip install -r requirements.txt \
&& python setup.py install \
&& apk del build-dependencies
)D", false, "", "", "", false},
    {"DL3018", R"D(ONBUILD RUN apk add \
--virtual build-dependencies \
python-dev=1.1.1 build-base=2.2.2 wget=3.3.3 \
&& pip install -r requirements.txt \
&& python setup.py install \
&& apk del build-dependencies
)D", false, "", "", "", false},
    {"DL3018", R"D(RUN apk add --no-cache \
--repository https://nl.alpinelinux.org/alpine/edge/testing \
flow=0.78.0-r0
)D", false, "", "", "", false},
    {"DL3018", R"D(ONBUILD RUN apk add --no-cache \
--repository https://nl.alpinelinux.org/alpine/edge/testing \
flow=0.78.0-r0
)D", false, "", "", "", false},
    {"DL3018", R"D(RUN apk add --no-cache \
--repository=https://nl.alpinelinux.org/alpine/edge/testing \
flow=0.78.0-r0
)D", false, "", "", "", false},
    {"DL3018", R"D(ONBUILD RUN apk add --no-cache \
--repository=https://nl.alpinelinux.org/alpine/edge/testing \
flow=0.78.0-r0
)D", false, "", "", "", false},
    {"DL3018", R"D(RUN apk add --no-cache \
-X https://nl.alpinelinux.org/alpine/edge/testing \
flow=0.78.0-r0
)D", false, "", "", "", false},
    {"DL3018", R"D(ONBUILD RUN apk add --no-cache \
-X https://nl.alpinelinux.org/alpine/edge/testing \
flow=0.78.0-r0
)D", false, "", "", "", false},
    {"DL3018", R"D(RUN apk add mypackage-1.1.1.apk
)D", false, "", "", "", false},
    {"DL3018", R"D(ONBUILD RUN apk add mypackage-1.1.1.apk
)D", false, "", "", "", false},
    {"DL3019", R"D(RUN apk add flex=2.6.4-r1
)D", true, "", "", "", false},
    {"DL3019", R"D(ONBUILD RUN apk add flex=2.6.4-r1
)D", true, "", "", "", false},
    {"DL3019", R"D(RUN apk add --no-cache flex=2.6.4-r1
)D", false, "", "", "", false},
    {"DL3019", R"D(ONBUILD RUN apk add --no-cache flex=2.6.4-r1
)D", false, "", "", "", false},
    {"DL3019", R"D(RUN --mount=type=cache,target=/var/cache/apk apk add -U curl=7.77.0
)D", false, "", "", "", false},
    {"DL3019", R"D(ONBUILD RUN --mount=type=cache,target=/var/cache/apk apk add -U curl=7.77.0
)D", false, "", "", "", false},
    {"DL3019", R"D(RUN --mount=type=cache,target=/var/cache/foo apk add --no-cache -U curl=7.77.0
)D", false, "", "", "", false},
    {"DL3019", R"D(ONBUILD RUN --mount=type=cache,target=/var/cache/foo apk add --no-cache -U curl=7.77.0
)D", false, "", "", "", false},
    {"DL3019", R"D(RUN --mount=type=cache,target=/var/cache/foo apk add -U curl=7.77.0
)D", true, "", "", "", false},
    {"DL3019", R"D(ONBUILD RUN --mount=type=cache,target=/var/cache/foo apk add -U curl=7.77.0
)D", true, "", "", "", false},
    {"DL3020", R"D(ADD file.tar /usr/src/app/
)D", false, "", "", "", false},
    {"DL3020", R"D(ADD file.gz /usr/src/app/
)D", false, "", "", "", false},
    {"DL3020", R"D(ADD file.bz2 /usr/src/app/
)D", false, "", "", "", false},
    {"DL3020", R"D(ADD file.xz /usr/src/app/
)D", false, "", "", "", false},
    {"DL3020", R"D(ADD file.tgz /usr/src/app/
)D", false, "", "", "", false},
    {"DL3020", R"D(ADD http://file.com /usr/src/app/
)D", false, "", "", "", false},
    {"DL3020", R"D(ADD file /usr/src/app/
)D", true, "", "", "", false},
    {"DL3020", R"D(ADD file.zip /usr/src/app/
)D", true, "", "", "", false},
    {"DL3020", R"D(ADD "file.tgz" /usr/src/app/
)D", false, "", "", "", false},
    {"DL3020", R"D(ADD "http://file.com" /usr/src/app/
)D", false, "", "", "", false},
    {"DL3020", R"D(ADD "file.zip" /usr/src/app/
)D", true, "", "", "", false},
    {"DL3025", R"D(FROM node as foo
ENTRYPOINT something
)D", true, "", "", "", false},
    {"DL3025", R"D(FROM scratch as build
ENTRYPOINT ["foo", "bar"]
)D", false, "", "", "", false},
    {"DL3025", R"D(FROM node as foo
CMD something
)D", true, "", "", "", false},
    {"DL3025", R"D(FROM scratch as build
CMD ["foo", "bar"]
CMD [ "foo", "bar" ]
)D", false, "", "", "", false},
    {"DL3027", R"D(FROM ubuntu
RUN apt install python
)D", true, "", "", "", false},
    {"DL3027", R"D(FROM ubuntu
ONBUILD RUN apt install python
)D", true, "", "", "", false},
    {"DL3028", R"D(RUN gem i bundler
)D", true, "", "", "", false},
    {"DL3028", R"D(ONBUILD RUN gem i bundler
)D", true, "", "", "", false},
    {"DL3028", R"D(RUN gem i bundler:1
)D", false, "", "", "", false},
    {"DL3028", R"D(ONBUILD RUN gem i bundler:1
)D", false, "", "", "", false},
    {"DL3028", R"D(RUN gem i bunlder:1 nokogiri
)D", true, "", "", "", false},
    {"DL3028", R"D(ONBUILD RUN gem i bunlder:1 nokogiri
)D", true, "", "", "", false},
    {"DL3028", R"D(RUN gem i bunlder:1 nokogirii:1
)D", false, "", "", "", false},
    {"DL3028", R"D(ONBUILD RUN gem i bunlder:1 nokogirii:1
)D", false, "", "", "", false},
    {"DL3028", R"D(RUN gem install bundler
)D", true, "", "", "", false},
    {"DL3028", R"D(ONBUILD RUN gem install bundler
)D", true, "", "", "", false},
    {"DL3028", R"D(RUN gem install bundler:1
)D", false, "", "", "", false},
    {"DL3028", R"D(ONBUILD RUN gem install bundler:1
)D", false, "", "", "", false},
    {"DL3028", R"D(RUN gem install bundler -v '2.0.1'
)D", false, "", "", "", false},
    {"DL3028", R"D(ONBUILD RUN gem install bundler -v '2.0.1'
)D", false, "", "", "", false},
    {"DL3028", R"D(RUN gem install bundler --version '2.0.1'
)D", false, "", "", "", false},
    {"DL3028", R"D(ONBUILD RUN gem install bundler --version '2.0.1'
)D", false, "", "", "", false},
    {"DL3028", R"D(RUN gem install bundler --version='2.0.1'
)D", false, "", "", "", false},
    {"DL3028", R"D(ONBUILD RUN gem install bundler --version='2.0.1'
)D", false, "", "", "", false},
    {"DL3028", R"D(RUN gem install bundler:2.0.1 -- --use-system-libraries=true
)D", false, "", "", "", false},
    {"DL3028", R"D(ONBUILD RUN gem install bundler:2.0.1 -- --use-system-libraries=true
)D", false, "", "", "", false},
    {"DL3028", R"D(RUN gem install bundler:2.0.1 -- --use-system-libraries true
)D", true, "", "", "", false},
    {"DL3028", R"D(ONBUILD RUN gem install bundler:2.0.1 -- --use-system-libraries true
)D", true, "", "", "", false},
    {"DL3028", R"D(RUN gem install bundler:2.0.1 --use-system-libraries true
)D", true, "", "", "", false},
    {"DL3028", R"D(ONBUILD RUN gem install bundler:2.0.1 --use-system-libraries true
)D", true, "", "", "", false},
    {"DL3028", R"D(RUN gem install bundler:2.0.1 --use-system-libraries=true
)D", false, "", "", "", false},
    {"DL3028", R"D(ONBUILD RUN gem install bundler:2.0.1 --use-system-libraries=true
)D", false, "", "", "", false},
    {"DL3033", R"D(RUN yum install -y tomcat && yum clean all
)D", true, "", "", "", false},
    {"DL3033", R"D(ONBUILD RUN yum install -y tomcat && yum clean all
)D", true, "", "", "", false},
    {"DL3033", R"D(RUN yum install -y tomcat-9.2 && yum clean all
)D", false, "", "", "", false},
    {"DL3033", R"D(ONBUILD RUN yum install -y tomcat-9.2 && yum clean all
)D", false, "", "", "", false},
    {"DL3033", R"D(RUN bash -c `# not even a yum command`
)D", false, "", "", "", false},
    {"DL3033", R"D(ONBUILD RUN bash -c `# not even a yum command`
)D", false, "", "", "", false},
    {"DL3033", R"D(RUN yum install -y openssl-1:1.1.1k
)D", false, "", "", "", false},
    {"DL3033", R"D(ONBUILD RUN yum install -y openssl-1:1.1.1k
)D", false, "", "", "", false},
    {"DL3033", R"D(RUN yum install -y rpm-sign-4.16.1.3
)D", false, "", "", "", false},
    {"DL3033", R"D(ONBUILD RUN yum install -y rpm-sign-4.16.1.3
)D", false, "", "", "", false},
    {"DL3033", R"D(RUN yum install -y gcc-c++-1.1.1
)D", false, "", "", "", false},
    {"DL3033", R"D(ONBUILD RUN yum install -y gcc-c++-1.1.1
)D", false, "", "", "", false},
    {"DL3033", R"D(RUN yum module install -y tomcat && yum clean all
)D", true, "", "", "", false},
    {"DL3033", R"D(ONBUILD RUN yum module install -y tomcat && yum clean all
)D", true, "", "", "", false},
    {"DL3033", R"D(RUN yum module install -y tomcat:9 && yum clean all
)D", false, "", "", "", false},
    {"DL3033", R"D(ONBUILD RUN yum module install -y tomcat:9 && yum clean all
)D", false, "", "", "", false},
    {"DL3033", R"D(RUN yum install -y "git-core-${GIT_VER}" && yum clean all
)D", false, "", "", "", false},
    {"DL3033", R"D(ONBUILD RUN yum install -y "git-core-${GIT_VER}" && yum clean all
)D", false, "", "", "", false},
    {"DL3033", R"D(RUN yum install -y tomcat-$VERSION && yum clean all
)D", false, "", "", "", false},
    {"DL3033", R"D(ONBUILD RUN yum install -y tomcat-$VERSION && yum clean all
)D", false, "", "", "", false},
    {"DL3037", R"D(RUN zypper install -y tomcat && zypper clean
)D", true, "", "", "", false},
    {"DL3037", R"D(ONBUILD RUN zypper install -y tomcat && zypper clean
)D", true, "", "", "", false},
    {"DL3037", R"D(RUN zypper install -y tomcat=9.0.39 && zypper clean
)D", false, "", "", "", false},
    {"DL3037", R"D(ONBUILD RUN zypper install -y tomcat=9.0.39 && zypper clean
)D", false, "", "", "", false},
    {"DL3037", R"D(RUN zypper install -y tomcat\>=9.0 && zypper clean
)D", false, "", "", "", false},
    {"DL3037", R"D(ONBUILD RUN zypper install -y tomcat\>=9.0 && zypper clean
)D", false, "", "", "", false},
    {"DL3037", R"D(RUN zypper install -y tomcat\>9.0 && zypper clean
)D", false, "", "", "", false},
    {"DL3037", R"D(ONBUILD RUN zypper install -y tomcat\>9.0 && zypper clean
)D", false, "", "", "", false},
    {"DL3037", R"D(RUN zypper install -y tomcat\<=9.0 && zypper clean
)D", false, "", "", "", false},
    {"DL3037", R"D(ONBUILD RUN zypper install -y tomcat\<=9.0 && zypper clean
)D", false, "", "", "", false},
    {"DL3037", R"D(RUN zypper install -y tomcat\<9.0 && zypper clean
)D", false, "", "", "", false},
    {"DL3037", R"D(ONBUILD RUN zypper install -y tomcat\<9.0 && zypper clean
)D", false, "", "", "", false},
    {"DL3037", R"D(RUN zypper install -y tomcat-9.0.39-1.rpm && zypper clean
)D", false, "", "", "", false},
    {"DL3037", R"D(ONBUILD RUN zypper install -y tomcat-9.0.39-1.rpm && zypper clean
)D", false, "", "", "", false},
    {"DL3040", R"D(RUN dnf install -y mariadb-10.4
)D", true, "", "", "", false},
    {"DL3040", R"D(ONBUILD RUN dnf install -y mariadb-10.4
)D", true, "", "", "", false},
    {"DL3040", R"D(RUN microdnf install -y mariadb-10.4
)D", true, "", "", "", false},
    {"DL3040", R"D(ONBUILD RUN microdnf install -y mariadb-10.4
)D", true, "", "", "", false},
    {"DL3040", R"D(RUN dnf install -y mariadb-10.4 && microdnf clean all
)D", true, "", "", "", false},
    {"DL3040", R"D(ONBUILD RUN dnf install -y mariadb-10.4 && microdnf clean all
)D", true, "", "", "", false},
    {"DL3040", R"D(RUN dnf install -y mariadb-10.4 && dnf clean all
)D", false, "", "", "", false},
    {"DL3040", R"D(ONBUILD RUN dnf install -y mariadb-10.4 && dnf clean all
)D", false, "", "", "", false},
    {"DL3040", R"D(RUN microdnf install -y mariadb-10.4 && microdnf clean all
)D", false, "", "", "", false},
    {"DL3040", R"D(ONBUILD RUN microdnf install -y mariadb-10.4 && microdnf clean all
)D", false, "", "", "", false},
    {"DL3040", R"D(RUN notdnf install mariadb
)D", false, "", "", "", false},
    {"DL3040", R"D(ONBUILD RUN notdnf install mariadb
)D", false, "", "", "", false},
    {"DL3040", R"D(RUN dnf install -y mariadb-10.4 && rm -rf /var/cache/yum/*
)D", false, "", "", "", false},
    {"DL3040", R"D(ONBUILD RUN dnf install -y mariadb-10.4 && rm -rf /var/cache/yum/*
)D", false, "", "", "", false},
    {"DL3040", R"D(RUN microdnf install -y mariadb-10.4 && rm -rf /var/cache/yum/*
)D", false, "", "", "", false},
    {"DL3040", R"D(ONBUILD RUN microdnf install -y mariadb-10.4 && rm -rf /var/cache/yum/*
)D", false, "", "", "", false},
    {"DL3041", R"D(RUN dnf install -y tomcat && dnf clean all
)D", true, "", "", "", false},
    {"DL3041", R"D(ONBUILD RUN dnf install -y tomcat && dnf clean all
)D", true, "", "", "", false},
    {"DL3041", R"D(RUN microdnf install -y tomcat && microdnf clean all
)D", true, "", "", "", false},
    {"DL3041", R"D(ONBUILD RUN microdnf install -y tomcat && microdnf clean all
)D", true, "", "", "", false},
    {"DL3041", R"D(RUN dnf install -y rpm-sign && dnf clean all
)D", false, "", "", "", false},
    {"DL3041", R"D(ONBUILD RUN dnf install -y rpm-sign && dnf clean all
)D", false, "", "", "", false},
    {"DL3041", R"D(RUN microdnf install -y rpm-sign && microdnf clean all
)D", false, "", "", "", false},
    {"DL3041", R"D(ONBUILD RUN microdnf install -y rpm-sign && microdnf clean all
)D", false, "", "", "", false},
    {"DL3041", R"D(RUN dnf install -y tomcat-9.0.1 && dnf clean all
)D", false, "", "", "", false},
    {"DL3041", R"D(ONBUILD RUN dnf install -y tomcat-9.0.1 && dnf clean all
)D", false, "", "", "", false},
    {"DL3041", R"D(RUN microdnf install -y tomcat-9.0.1 && microdnf clean all
)D", false, "", "", "", false},
    {"DL3041", R"D(ONBUILD RUN microdnf install -y tomcat-9.0.1 && microdnf clean all
)D", false, "", "", "", false},
    {"DL3041", R"D(RUN notdnf install openssl-1:1.1.1k
)D", false, "", "", "", false},
    {"DL3041", R"D(ONBUILD RUN notdnf install openssl-1:1.1.1k
)D", false, "", "", "", false},
    {"DL3041", R"D(RUN notdnf install tomcat
)D", false, "", "", "", false},
    {"DL3041", R"D(ONBUILD RUN notdnf install tomcat
)D", false, "", "", "", false},
    {"DL3041", R"D(RUN dnf install -y rpm-sign-4.16.1.3 && dnf clean all
)D", false, "", "", "", false},
    {"DL3041", R"D(ONBUILD RUN dnf install -y rpm-sign-4.16.1.3 && dnf clean all
)D", false, "", "", "", false},
    {"DL3041", R"D(RUN dnf install -y gcc-c++-1.1.1
)D", false, "", "", "", false},
    {"DL3041", R"D(ONBUILD RUN dnf install -y gcc-c++-1.1.1
)D", false, "", "", "", false},
    {"DL3041", R"D(RUN microdnf install -y gcc-c++-1.1.1
)D", false, "", "", "", false},
    {"DL3041", R"D(ONBUILD RUN microdnf install -y gcc-c++-1.1.1
)D", false, "", "", "", false},
    {"DL3041", R"D(RUN dnf install -y openssl-1:1.1.1k
)D", false, "", "", "", false},
    {"DL3041", R"D(ONBUILD RUN dnf install -y openssl-1:1.1.1k
)D", false, "", "", "", false},
    {"DL3041", R"D(RUN dnf module install -y tomcat && dnf clean all
)D", true, "", "", "", false},
    {"DL3041", R"D(ONBUILD RUN dnf module install -y tomcat && dnf clean all
)D", true, "", "", "", false},
    {"DL3041", R"D(RUN microdnf module install -y tomcat && microdnf clean all
)D", true, "", "", "", false},
    {"DL3041", R"D(ONBUILD RUN microdnf module install -y tomcat && microdnf clean all
)D", true, "", "", "", false},
    {"DL3041", R"D(RUN dnf module install -y tomcat:9 && dnf clean all
)D", false, "", "", "", false},
    {"DL3041", R"D(ONBUILD RUN dnf module install -y tomcat:9 && dnf clean all
)D", false, "", "", "", false},
    {"DL3041", R"D(RUN notdnf module install tomcat
)D", false, "", "", "", false},
    {"DL3041", R"D(ONBUILD RUN notdnf module install tomcat
)D", false, "", "", "", false},
    {"DL3041", R"D(RUN dnf install -y "git-core-${GIT_VER}" && dnf clean all
)D", false, "", "", "", false},
    {"DL3041", R"D(ONBUILD RUN dnf install -y "git-core-${GIT_VER}" && dnf clean all
)D", false, "", "", "", false},
    {"DL3041", R"D(RUN dnf install -y "rpm-sign-${VERSION}" && dnf clean all
)D", false, "", "", "", false},
    {"DL3041", R"D(ONBUILD RUN dnf install -y "rpm-sign-${VERSION}" && dnf clean all
)D", false, "", "", "", false},
    {"DL3041", R"D(RUN dnf install -y tomcat-$VERSION && dnf clean all
)D", false, "", "", "", false},
    {"DL3041", R"D(ONBUILD RUN dnf install -y tomcat-$VERSION && dnf clean all
)D", false, "", "", "", false},
    {"DL3041", R"D(RUN microdnf install -y "git-core-${GIT_VER}" && microdnf clean all
)D", false, "", "", "", false},
    {"DL3041", R"D(ONBUILD RUN microdnf install -y "git-core-${GIT_VER}" && microdnf clean all
)D", false, "", "", "", false},
    {"DL3042", R"D(RUN pip2 install MySQL_python
)D", true, "", "", "", false},
    {"DL3042", R"D(ONBUILD RUN pip2 install MySQL_python
)D", true, "", "", "", false},
    {"DL3042", R"D(RUN pip3 install MySQL_python
)D", true, "", "", "", false},
    {"DL3042", R"D(ONBUILD RUN pip3 install MySQL_python
)D", true, "", "", "", false},
    {"DL3042", R"D(RUN pip install MySQL_python
)D", true, "", "", "", false},
    {"DL3042", R"D(ONBUILD RUN pip install MySQL_python
)D", true, "", "", "", false},
    {"DL3042", R"D(RUN pip2 install MySQL_python --no-cache-dir
)D", false, "", "", "", false},
    {"DL3042", R"D(ONBUILD RUN pip2 install MySQL_python --no-cache-dir
)D", false, "", "", "", false},
    {"DL3042", R"D(RUN pip3 install --no-cache-dir MySQL_python
)D", false, "", "", "", false},
    {"DL3042", R"D(ONBUILD RUN pip3 install --no-cache-dir MySQL_python
)D", false, "", "", "", false},
    {"DL3042", R"D(RUN pipx install software
)D", false, "", "", "", false},
    {"DL3042", R"D(ONBUILD RUN pipx install software
)D", false, "", "", "", false},
    {"DL3042", R"D(RUN pipenv install library
)D", false, "", "", "", false},
    {"DL3042", R"D(ONBUILD RUN pipenv install library
)D", false, "", "", "", false},
    {"DL3042", R"D(ENV PIP_NO_CACHE_DIR=1
RUN pip install MySQL_python
)D", false, "", "", "", false},
    {"DL3042", R"D(RUN PIP_NO_CACHE_DIR=1 pip install MySQL_python
)D", false, "", "", "", false},
    {"DL3042", R"D(RUN export PIP_NO_CACHE_DIR=1 && pip install MySQL_python
)D", false, "", "", "", false},
    {"DL3042", R"D(ENV PIP_NO_CACHE_DIR=on
RUN pip install MySQL_python
)D", false, "", "", "", false},
    {"DL3042", R"D(RUN PIP_NO_CACHE_DIR=on pip install MySQL_python
)D", false, "", "", "", false},
    {"DL3042", R"D(RUN export PIP_NO_CACHE_DIR=on && pip install MySQL_python
)D", false, "", "", "", false},
    {"DL3042", R"D(ENV PIP_NO_CACHE_DIR=yes
RUN pip install MySQL_python
)D", false, "", "", "", false},
    {"DL3042", R"D(RUN PIP_NO_CACHE_DIR=yes pip install MySQL_python
)D", false, "", "", "", false},
    {"DL3042", R"D(RUN export PIP_NO_CACHE_DIR=yes && pip install MySQL_python
)D", false, "", "", "", false},
    {"DL3042", R"D(ENV PIP_NO_CACHE_DIR=true
RUN pip install MySQL_python
)D", false, "", "", "", false},
    {"DL3042", R"D(RUN PIP_NO_CACHE_DIR=true pip install MySQL_python
)D", false, "", "", "", false},
    {"DL3042", R"D(RUN export PIP_NO_CACHE_DIR=true && pip install MySQL_python
)D", false, "", "", "", false},
    {"DL3042", R"D(ENV PIP_NO_CACHE_DIR=0
RUN pip install MySQL_python
)D", true, "", "", "", false},
    {"DL3042", R"D(RUN PIP_NO_CACHE_DIR=0 pip install MySQL_python
)D", true, "", "", "", false},
    {"DL3042", R"D(RUN export PIP_NO_CACHE_DIR=0 && pip install MySQL_python
)D", true, "", "", "", false},
    {"DL3042", R"D(ENV PIP_NO_CACHE_DIR=off
RUN pip install MySQL_python
)D", true, "", "", "", false},
    {"DL3042", R"D(RUN PIP_NO_CACHE_DIR=off pip install MySQL_python
)D", true, "", "", "", false},
    {"DL3042", R"D(RUN export PIP_NO_CACHE_DIR=off && pip install MySQL_python
)D", true, "", "", "", false},
    {"DL3042", R"D(ENV PIP_NO_CACHE_DIR=no
RUN pip install MySQL_python
)D", true, "", "", "", false},
    {"DL3042", R"D(RUN PIP_NO_CACHE_DIR=no pip install MySQL_python
)D", true, "", "", "", false},
    {"DL3042", R"D(RUN export PIP_NO_CACHE_DIR=no && pip install MySQL_python
)D", true, "", "", "", false},
    {"DL3042", R"D(ENV PIP_NO_CACHE_DIR=false
RUN pip install MySQL_python
)D", true, "", "", "", false},
    {"DL3042", R"D(RUN PIP_NO_CACHE_DIR=false pip install MySQL_python
)D", true, "", "", "", false},
    {"DL3042", R"D(RUN export PIP_NO_CACHE_DIR=false && pip install MySQL_python
)D", true, "", "", "", false},
    {"DL3042", R"D(FROM debian:buster as base
ENV PIP_NO_CACHE_DIR=1
FROM base
RUN pip install six
)D", false, "", "", "", false},
    {"DL3042", R"D(FROM debian:buster as base
ENV PIP_NO_CACHE_DIR=1
FROM debian:buster
RUN pip install six
)D", true, "", "", "", false},
    {"DL3042", R"D(FROM debian:buster as base
ENV PIP_NO_CACHE_DIR=1
ONBUILD RUN pip install six
)D", true, "", "", "", false},
    {"DL4001", R"D(FROM debian:buster
RUN wget x
ONBUILD RUN curl x
RUN curl y
)D", true, "4", "", "", false},
    {"DL3047", R"D(FROM node as foo
RUN wget my.xyz
)D", true, "", "", "", false},
    {"DL3047", R"D(FROM node as foo
RUN wget --progress=dot:giga my.xyz
)D", false, "", "", "", false},
    {"DL3047", R"D(FROM node as foo
RUN wget -q my.xyz
)D", false, "", "", "", false},
    {"DL3047", R"D(FROM node as foo
RUN wget --quiet my.xyz
)D", false, "", "", "", false},
    {"DL3047", R"D(FROM node as foo
RUN wget -nv my.xyz
)D", false, "", "", "", false},
    {"DL3047", R"D(FROM node as foo
RUN wget --no-verbose my.xyz
)D", false, "", "", "", false},
    {"DL3047", R"D(FROM node as foo
RUN wget --output-file=/tmp/wget.log my.xyz
)D", false, "", "", "", false},
    {"DL3047", R"D(FROM node as foo
RUN wget -o /tmp/wget.log my.xyz
)D", false, "", "", "", false},
    {"DL3047", R"D(FROM node as foo
RUN wget --append-output=/tmp/wget.log my.xyz
)D", false, "", "", "", false},
    {"DL3047", R"D(FROM node as foo
RUN wget -a /tmp/wget.log my.xyz
)D", false, "", "", "", false},
    {"DL3059", R"D(FROM debian:10
)D", false, "", "", "", false},
    {"DL3059", R"D(RUN /foo.sh
)D", false, "", "", "", false},
    {"DL3059", R"D(RUN /foo.sh
WORKDIR /
RUN /bar.sh
)D", false, "", "", "", false},
    {"DL3059", R"D(RUN /foo.sh
RUN /bar.sh
)D", true, "", "", "", false},
    {"DL3059", R"D(RUN /foo.sh
# a comment
RUN /bar.sh
)D", true, "", "", "", false},
    {"DL3059", R"D(RUN /foo.sh
# a comment
# another comment
RUN /bar.sh
)D", true, "", "", "", false},
    {"DL3059", R"D(# a comment
RUN /foo.sh
)D", false, "", "", "", false},
    {"DL3059", R"D(RUN --mount=type=secret,id=foo /foo.sh
RUN /bar.sh
)D", false, "", "", "", false},
    {"DL3059", R"D(RUN --mount=type=secret,id=foo /foo.sh
RUN --mount=type=secret,id=bar /bar.sh
)D", false, "", "", "", false},
    {"DL3059", R"D(RUN --mount=type=secret,id=foo /foo.sh
RUN --mount=type=secret,id=foo /bar.sh
)D", true, "", "", "", false},
    {"DL3059", R"D(RUN foo && bar
RUN foobar
)D", false, "", "", "", false},
    {"DL3059", R"D(RUN foo; bar
RUN foobar
)D", false, "", "", "", false},
    {"DL3059", R"D(RUN foobar
RUN foo && bar
)D", false, "", "", "", false},
    {"DL3059", R"D(RUN foobar
RUN foo; bar
)D", false, "", "", "", false},
    {"DL3059", R"D(RUN foo && bar
RUN foo; bar
)D", false, "", "", "", false},
    {"DL3059", R"D(RUN foo && bar
RUN foo
RUN bar
)D", true, "", "", "", false},
    {"DL3059", R"D(RUN foo
ONBUILD RUN bar
RUN baz
)D", false, "", "", "", false},
    {"DL3060", R"D(RUN foo
)D", false, "", "", "", false},
    {"DL3060", R"D(ONBUILD RUN foo
)D", false, "", "", "", false},
    {"DL3060", R"D(RUN yarn install foo
)D", true, "", "", "", false},
    {"DL3060", R"D(ONBUILD RUN yarn install foo
)D", true, "", "", "", false},
    {"DL3060", R"D(RUN yarn install bar && yarn cache clean
)D", false, "", "", "", false},
    {"DL3060", R"D(ONBUILD RUN yarn install bar && yarn cache clean
)D", false, "", "", "", false},
    {"DL3060", R"D(FROM node:lts-alpine as foo
RUN hey!
FROM scratch
RUN yarn install
)D", true, "", "", "", false},
    {"DL3060", R"D(FROM node:lts-alpine as foo
ONBUILD RUN hey!
FROM scratch
ONBUILD RUN yarn install
)D", true, "", "", "", false},
    {"DL3060", R"D(FROM node:lts-alpine as foo
RUN yarn install
FROM foo
RUN hey!
)D", true, "", "", "", false},
    {"DL3060", R"D(FROM node:lts-alpine as foo
ONBUILD RUN yarn install
FROM foo
ONBUILD RUN hey!
)D", true, "", "", "", false},
    {"DL3060", R"D(FROM node:lts-alpine as foo
RUN yarn install && yarn cache clean
FROM foo
RUN hey!
)D", false, "", "", "", false},
    {"DL3060", R"D(FROM node:lts-alpine as foo
ONBUILD RUN yarn install && yarn cache clean
FROM foo
ONBUILD RUN hey!
)D", false, "", "", "", false},
    {"DL3060", R"D(FROM node:lts-alpine as foo
RUN yarn install foo
FROM scratch
RUN hey!
)D", false, "", "", "", false},
    {"DL3060", R"D(FROM node:lts-alpine as foo
ONBUILD RUN yarn install foo
FROM scratch
RUN hey!
)D", true, "", "", "", false},
    {"DL4006", R"D(FROM scratch
RUN wget -O - https://some.site | wc -l > /number
)D", true, "", "", "", false},
    {"DL4006", R"D(FROM scratch as build
RUN wget -O - https://some.site && wc -l file > /number
)D", false, "", "", "", false},
    {"DL4006", R"D(FROM scratch as build
SHELL ["/bin/bash", "-eo", "pipefail", "-c"]
RUN wget -O - https://some.site | wc -l file > /number
)D", false, "", "", "", false},
    {"DL4006", R"D(FROM scratch as build
SHELL ["/bin/bash", "-e", "-o", "pipefail", "-c"]
RUN wget -O - https://some.site | wc -l file > /number
)D", false, "", "", "", false},
    {"DL4006", R"D(FROM scratch as build
SHELL ["/bin/bash", "-o", "errexit", "-o", "pipefail", "-c"]
RUN wget -O - https://some.site | wc -l file > /number
)D", false, "", "", "", false},
    {"DL4006", R"D(FROM scratch as build
SHELL ["/bin/zsh", "-o", "pipefail", "-c"]
RUN wget -O - https://some.site | wc -l file > /number
)D", false, "", "", "", false},
    {"DL4006", R"D(FROM scratch as build
SHELL ["/usr/bin/bash", "-o", "pipefail", "-c"]
RUN wget -O - https://some.site | wc -l file > /number
)D", false, "", "", "", false},
    {"DL4006", R"D(FROM scratch as build
SHELL ["/bin/sh", "-o", "pipefail", "-c"]
RUN wget -O - https://some.site | wc -l file > /number
)D", true, "", "", "", false},
    {"DL4006", R"D(FROM mcr.microsoft.com/powershell:ubuntu-16.04
SHELL ["pwsh", "-c"]
RUN Get-Variable PSVersionTable | Select-Object -ExpandProperty Value
)D", false, "", "", "", false},
    {"DL4006", R"D(FROM mcr.microsoft.com/powershell:ubuntu-16.04
SHELL [ "pwsh", "-c" ]
RUN Get-Variable PSVersionTable | Select-Object -ExpandProperty Value
)D", false, "", "", "", false},
    {"DL4006", R"D(FROM mcr.microsoft.com/powershell:ubuntu-16.04
SHELL [ "powershell.exe" ]
RUN Get-Variable PSVersionTable | Select-Object -ExpandProperty Value
)D", false, "", "", "", false},
    {"DL4006", R"D(FROM mcr.microsoft.com/powershell:ubuntu-16.04
SHELL [ "cmd.exe", "/c" ]
RUN Get-Variable PSVersionTable | Select-Object -ExpandProperty Value
)D", false, "", "", "", false},
    {"DL4006", R"D(FROM scratch as build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN wget -O - https://some.site | wc -l file > /number
FROM scratch as build2
RUN wget -O - https://some.site | wc -l file > /number
)D", true, "5", "", "", false},
    {"DL4006", R"D(FROM scratch as build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN wget -O - https://some.site | wc -l file > /number
SHELL ["/bin/sh", "-c"]
RUN wget -O - https://some.site | wc -l file > /number
)D", true, "5", "", "", false},
    {"DL3002", R"D(FROM scratch
USER root
)D", true, "", "", "", false},
    {"DL3002", R"D(FROM scratch
USER foo
)D", false, "", "", "", false},
    {"DL3002", R"D(FROM scratch
USER 0
)D", true, "", "", "", false},
    {"DL3002", R"D(FROM scratch
USER root:root
)D", true, "", "", "", false},
    {"DL3002", R"D(FROM scratch
USER 0:0
)D", true, "", "", "", false},
    {"DL3002", R"D(FROM scratch
USER root
RUN something
USER foo
)D", false, "", "", "", false},
    {"DL3002", R"D(FROM debian as base
USER root
RUN something
FROM base
RUN something else
)D", true, "", "", "", false},
    {"DL3002", R"D(FROM debian as base
USER root
RUN something
FROM scratch
USER foo
RUN something else
)D", true, "", "", "", false},
    {"DL3002", R"D(FROM debian as base
USER root
RUN something
USER foo
FROM scratch
RUN something else
)D", false, "", "", "", false},
    {"DL3022", R"D(COPY --from=foo bar .
)D", true, "", "", "", false},
    {"DL3022", R"D(FROM scratch
COPY --from=build foo .
FROM node as build
RUN baz
)D", true, "", "", "", false},
    {"DL3022", R"D(FROM scratch as build
RUN foo
FROM node
COPY --from=build foo .
RUN baz
)D", false, "", "", "", false},
    {"DL3045", R"D(COPY bla.sh /usr/local/bin/blubb.sh
)D", false, "", "", "", false},
    {"DL3045", R"D(COPY bla.sh "/usr/local/bin/blubb.s"
)D", false, "", "", "", false},
    {"DL3045", R"D(COPY bla.sh c:\system32\blubb.sh
)D", false, "", "", "", false},
    {"DL3045", R"D(COPY bla.sh "c:\system32\blubb.sh"
)D", false, "", "", "", false},
    {"DL3045", R"D(COPY bla.sh c:/system32/blubb.sh
)D", false, "", "", "", false},
    {"DL3045", R"D(FROM scratch
WORKDIR /usr
COPY bla.sh blubb.sh
)D", false, "", "", "", false},
    {"DL3045", R"D(FROM scratch
WORKDIR c:\system32
COPY bla.sh blubb.sh
)D", false, "", "", "", false},
    {"DL3045", R"D(COPY src.sh ${SRC_BASE_ENV}
)D", false, "", "", "", false},
    {"DL3045", R"D(COPY src.sh $SRC_BASE_ENV
)D", false, "", "", "", false},
    {"DL3045", R"D(COPY src.sh "${SRC_BASE_ENV}"
)D", false, "", "", "", false},
    {"DL3045", R"D(COPY src.sh "$SRC_BASE_ENV"
)D", false, "", "", "", false},
    {"DL3045", R"D(COPY bla.sh blubb.sh
)D", true, "", "", "", false},
    {"DL3045", R"D(COPY bla.sh "blubb.sh"
)D", true, "", "", "", false},
    {"DL3045", R"D(FROM debian:buster as stage1
WORKDIR /usr
FROM debian:buster
COPY foo bar
)D", true, "", "", "", false},
    {"DL3045", R"D(FROM debian:buster as base
WORKDIR /usr
FROM debian:buster as stage-inbetween
RUN foo
FROM base
COPY foo bar
)D", false, "", "", "", false},
    {"DL3045", R"D(FROM debian:buster as base1
WORKDIR /usr
FROM base1 as base2
RUN foo
FROM base2
COPY foo bar
)D", false, "", "", "", false},
    {"DL3045", R"D(FROM debian:buster
ONBUILD WORKDIR /usr/local/lib
ONBUILD COPY foo bar
)D", false, "", "", "", false},
    {"DL3045", R"D(COPY a b
)D", true, "", "", "", false},
    {"DL3057", R"D(FROM scratch
)D", true, "", "", "", false},
    {"DL3057", R"D(FROM scratch
HEALTHCHECK CMD /bin/bla
)D", false, "", "", "", false},
    {"DL3057", R"D(FROM scratch AS base
HEALTHCHECK CMD /bin/bla
FROM base
)D", false, "", "", "", false},
    {"DL3057", R"D(FROM scratch AS base
HEALTHCHECK CMD /bin/bla
FROM scratch
)D", true, "", "", "", false},
    {"DL3022", R"D(COPY --from=haskell:latest bar .
)D", false, "", "", "", false},
    {"DL3022", R"D(COPY --from=0 bar .
)D", true, "", "", "", false},
    {"DL3022", R"D(FROM scratch as build
RUN foo
FROM node
COPY --from=0 foo .
)D", false, "", "", "", false},
    {"DL3022", R"D(FROM scratch
RUN foo
FROM node
COPY --from=0 foo .
)D", false, "", "", "", false},
    {"DL3026", R"D(FROM random.com/debian
)D", false, "", "", "", false},
    {"DL3026", R"D(FROM random.com/debian
)D", true, "", "docker.io", "", false},
    {"DL3026", R"D(FROM random.com/debian
)D", false, "", "x.com,random.com", "", false},
    {"DL3026", R"D(FROM scratch
)D", false, "", "x.com,random.com", "", false},
    {"DL3026", R"D(FROM ubuntu:18.04 AS builder1
FROM zemanlx/ubuntu:18.04 AS builder2
FROM docker.io/zemanlx/ubuntu:18.04 AS builder3
)D", false, "", "docker.io", "", false},
    {"DL3026", R"D(FROM random.com/foo AS builder1
FROM builder1 AS builder2
)D", false, "", "random.com", "", false},
    {"DL3026", R"D(FROM x.com/debian
)D", true, "", "*.random.com", "", false},
    {"DL3026", R"D(FROM foo.random.com/debian
)D", false, "", "x.com,*.random.com", "", false},
    {"DL3026", R"D(FROM ubuntu:18.04 AS builder1
FROM zemanlx/ubuntu:18.04 AS builder2
FROM docker.io/zemanlx/ubuntu:18.04 AS builder3
)D", false, "", "*", "", false},
    {"DL3023", R"D(FROM node as foo
COPY --from=foo bar .
)D", true, "", "", "", false},
    {"DL3023", R"D(FROM scratch as build
RUN foo
FROM node as run
COPY --from=build foo .
RUN baz
)D", false, "", "", "", false},
    {"DL3024", R"D(FROM node as foo
RUN something
FROM scratch as foo
RUN something
)D", true, "", "", "", false},
    {"DL3024", R"D(FROM scratch as build
RUN foo
FROM node as run
RUN baz
)D", false, "", "", "", false},
    {"DL3029", R"D(FROM --platform=linux debian:jessie
)D", true, "", "", "", false},
    {"DL3029", R"D(FROM debian:jessie
)D", false, "", "", "", false},
    {"DL3029", R"D(FROM --platform=$BUILDPLATFORM debian:jessie
)D", false, "", "", "", false},
    {"DL3029", R"D(FROM --platform="$BUILDPLATFORM" debian:jessie
)D", false, "", "", "", false},
    {"DL3029", R"D(FROM --platform=${BUILDPLATFORM} debian:jessie
)D", false, "", "", "", false},
    {"DL3029", R"D(FROM --platform=${BUILDPLATFORM:-} debian:jessie
)D", false, "", "", "", false},
    {"DL3029", R"D(FROM --platform="${BUILDPLATFORM:-}" debian:jessie
)D", false, "", "", "", false},
    {"DL3029", R"D(FROM --platform=$TARGETPLATFORM debian:jessie
)D", false, "", "", "", false},
    {"DL3061", R"D(LABEL foo=bar
FROM foo
)D", true, "", "", "", false},
    {"DL3061", R"D(FROM foo
LABEL foo=bar
)D", false, "", "", "", false},
    {"DL3061", R"D(ARG A=B
FROM foo
LABEL foo=bar
)D", false, "", "", "", false},
    {"DL3061", R"D(# syntax = docker/dockerfile:1.0-experimental
FROM node:16-alpine3.13
)D", false, "", "", "", false},
    {"DL3061", R"D(FROM foo
ARG A=B
RUN echo bla
)D", false, "", "", "", false},
    {"DL1001", R"D(# hadolint ignore=DL3003
RUN foo bar
)D", true, "", "", "", false},
    {"DL1001", R"D(# hadolint shell=powershell
RUN foo bar
)D", false, "", "", "", false},
    {"DL1001", R"D(# foobar
RUN foo bar
)D", false, "", "", "", false},
    {"DL1001", R"D(FROM debian
RUN foo bar
)D", false, "", "", "", false},
    {"DL3004", R"D(RUN sudo apt-get update
)D", true, "", "", "", false},
    {"DL3004", R"D(ONBUILD RUN sudo apt-get update
)D", true, "", "", "", false},
    {"DL3004", R"D(RUN apt-get install sudo
)D", false, "", "", "", false},
    {"DL3004", R"D(ONBUILD RUN apt-get install sudo
)D", false, "", "", "", false},
    {"DL3004", R"D(RUN apt-get update && sudo apt-get install
)D", true, "", "", "", false},
    {"DL3004", R"D(ONBUILD RUN apt-get update && sudo apt-get install
)D", true, "", "", "", false},
    {"DL3014", R"D(RUN apt-get install python
)D", true, "", "", "", false},
    {"DL3014", R"D(ONBUILD RUN apt-get install python
)D", true, "", "", "", false},
    {"DL3014", R"D(RUN apt-get install -yq python
)D", false, "", "", "", false},
    {"DL3014", R"D(ONBUILD RUN apt-get install -yq python
)D", false, "", "", "", false},
    {"DL3014", R"D(RUN apt-get install -qq python
)D", false, "", "", "", false},
    {"DL3014", R"D(ONBUILD RUN apt-get install -qq python
)D", false, "", "", "", false},
    {"DL3014", R"D(RUN apt-get install -y python
)D", false, "", "", "", false},
    {"DL3014", R"D(ONBUILD RUN apt-get install -y python
)D", false, "", "", "", false},
    {"DL3014", R"D(RUN apt-get -y install python
)D", false, "", "", "", false},
    {"DL3014", R"D(ONBUILD RUN apt-get -y install python
)D", false, "", "", "", false},
    {"DL3014", R"D(RUN apt-get --yes install python
)D", false, "", "", "", false},
    {"DL3014", R"D(ONBUILD RUN apt-get --yes install python
)D", false, "", "", "", false},
    {"DL3014", R"D(RUN apt-get --assume-yes install python
)D", false, "", "", "", false},
    {"DL3014", R"D(ONBUILD RUN apt-get --assume-yes install python
)D", false, "", "", "", false},
    {"DL3010", R"D(COPY packaged-app.tar /usr/src/app
RUN tar -xf /usr/src/app/packaged-app.tar
)D", true, "", "", "", false},
    {"DL3010", R"D(COPY packaged-app.tar /usr/src/app
WORKDIR /usr/src/app
RUN foo bar && echo something && tar -xf packaged-app.tar
)D", true, "", "", "", false},
    {"DL3010", R"D(COPY foo/bar/packaged-app.tar /foo.tar
RUN tar -xf /foo.tar
)D", true, "", "", "", false},
    {"DL3010", R"D(COPY build\foo\bar.tar.gz "C:\Program Files\Foo"
RUN tar -xf "C:\Program Files\Foo\bar.tar.gz"
)D", true, "", "", "", false},
    {"DL3010", R"D(COPY build\foo\bar.tar.gz "C:\Program Files\foo.tar.gz"
RUN tar -xf foo.tar.gz
)D", true, "", "", "", false},
    {"DL3010", R"D(COPY packaged-app.tar /usr/src/app
FROM debian:11 as newstage
)D", false, "", "", "", false},
    {"DL3010", R"D(COPY package.json /usr/src/app
)D", false, "", "", "", false},
    {"DL3010", R"D(COPY --from=builder /usr/local/share/some.tar /opt/some.tar
)D", false, "", "", "", false},
    {"DL3011", R"D(EXPOSE 80000
)D", true, "", "", "", false},
    {"DL3011", R"D(EXPOSE 60000
)D", false, "", "", "", false},
    {"DL3021", R"D(COPY foo bar
)D", false, "", "", "", false},
    {"DL3021", R"D(COPY foo bar baz
)D", true, "", "", "", false},
    {"DL3021", R"D(COPY foo bar baz/
)D", false, "", "", "", false},
    {"DL3044", R"D(ENV BLA="blubb"
ENV BLUBB="${BLA}/blubb"
)D", false, "", "", "", false},
    {"DL3044", R"D(ENV BLA="blubb" BLUBB="${FOOBLA}/blubb"
)D", false, "", "", "", false},
    {"DL3044", R"D(ENV BLA="blubb" BLUBB="${BLAFOO}/blubb"
)D", false, "", "", "", false},
    {"DL3044", R"D(ENV BLA="blubb" BLUBB="$FOOBLA/blubb"
)D", false, "", "", "", false},
    {"DL3044", R"D(ENV BLA="blubb" BLUBB="$BLAFOO/blubb"
)D", false, "", "", "", false},
    {"DL3044", R"D(ENV BLA="blubb" BLUBB="$BLA/$BLAFOO/blubb"
)D", true, "", "", "", false},
    {"DL3044", R"D(ENV BLA="blubb" BLUBB="BLA/$BLAFOO/BLA"
)D", false, "", "", "", false},
    {"DL3044", R"D(ARG BLA
ENV BLA=${BLA}
)D", false, "", "", "", false},
    {"DL3044", R"D(ENV BLA blubb
ENV BLA=${BLA}
)D", false, "", "", "", false},
    {"DL3044", R"D(ENV PATH=/bla:${PATH}
)D", false, "", "", "", false},
    {"DL3044", R"D(ENV PATH=/bla:${PATH}
ENV PATH=/blubb:${PATH}
)D", false, "", "", "", false},
    {"DL3044", R"D(ENV PATH=/bla:${PATH} PATH=/blubb:${PATH}
)D", true, "", "", "", false},
    {"DL3044", R"D(ENV BLA="blubb" BLUBB="${BLA}/blubb"
)D", true, "", "", "", false},
    {"DL3044", R"D(ENV BLA="blubb" BLUBB="$BLA/blubb"
)D", true, "", "", "", false},
    {"DL3044", R"D(ENV BLA="blubb" BLUBB="$BLA"
)D", true, "", "", "", false},
    {"DL3044", R"D(ENV BLA="blubb" BLUBB="${BLA}"
)D", true, "", "", "", false},
    {"DL3010", R"D(FROM a:1 AS b
COPY x.tar /x
RUN tar -xf x.tar
FROM a:1
RUN true
)D", false, "", "", "", false},
    {"DL3010", R"D(FROM a:1 AS b
COPY x.tar /x
RUN tar -xf x.tar
FROM a:1
COPY y.tar /y
RUN tar -xf y.tar
)D", true, "5", "", "", false},
    {"DL3000", R"D(WORKDIR relative/dir
)D", true, "", "", "", false},
    {"DL3000", R"D(WORKDIR /usr/local
)D", false, "", "", "", false},
    {"DL3000", R"D(WORKDIR ${work}
)D", false, "", "", "", false},
    {"DL3000", R"D(WORKDIR 'relative/dir'
)D", true, "", "", "", false},
    {"DL3000", R"D(WORKDIR '/usr/local'
)D", false, "", "", "", false},
    {"DL3000", R"D(WORKDIR "relative/dir"
)D", true, "", "", "", false},
    {"DL3000", R"D(WORKDIR "/usr/local"
)D", false, "", "", "", false},
    {"DL3000", R"D(WORKDIR "${dir}"
)D", false, "", "", "", false},
    {"DL3000", R"D(WORKDIR 'C:\'
)D", false, "", "", "", false},
    {"DL3000", R"D(WORKDIR "C:\"
)D", false, "", "", "", false},
    {"DL3000", R"D(WORKDIR C:/
)D", false, "", "", "", false},
    {"DL3000", R"D(WORKDIR "C:/"
)D", false, "", "", "", false},
    {"DL3001", R"D(RUN top
)D", true, "", "", "", false},
    {"DL3001", R"D(ONBUILD RUN top
)D", true, "", "", "", false},
    {"DL3001", R"D(RUN apt-get install ssh
)D", false, "", "", "", false},
    {"DL3001", R"D(ONBUILD RUN apt-get install ssh
)D", false, "", "", "", false},
    {"DL3046", R"D(RUN useradd luser
)D", false, "", "", "", false},
    {"DL3046", R"D(RUN useradd -u 12345 luser
)D", false, "", "", "", false},
    {"DL3046", R"D(RUN useradd -l -u 123456 luser
)D", false, "", "", "", false},
    {"DL3046", R"D(RUN useradd -l luser
)D", false, "", "", "", false},
    {"DL3046", R"D(RUN useradd -u 123456 luser
)D", true, "", "", "", false},
    {"DL3048", R"D(LABEL com.docker.label="foo"
)D", true, "", "", "", false},
    {"DL3048", R"D(LABEL io.docker.label="foo"
)D", true, "", "", "", false},
    {"DL3048", R"D(LABEL org.dockerproject.label="foo"
)D", true, "", "", "", false},
    {"DL3048", R"D(LABEL invalid$character="foo"
)D", true, "", "", "", false},
    {"DL3048", R"D(LABEL .invalid ="foo"
)D", true, "", "", "", false},
    {"DL3048", R"D(LABEL -invalid ="foo"
)D", true, "", "", "", false},
    {"DL3048", R"D(LABEL 1invalid ="foo"
)D", true, "", "", "", false},
    {"DL3048", R"D(LABEL .invalid="foo"
)D", true, "", "", "", false},
    {"DL3048", R"D(LABEL invalid..character="foo"
)D", true, "", "", "", false},
    {"DL3048", R"D(LABEL invalid--character="foo"
)D", true, "", "", "", false},
    {"DL3048", R"D(LABEL org.valid-key.label3="foo"
)D", false, "", "", "", false},
    {"DL3048", R"D(LABEL validlabel="foo"
)D", false, "", "", "", false},
    {"DL3049", R"D(FROM baseimage
)D", true, "", "", "foo:text", false},
    {"DL3049", R"D(FROM baseimage
LABEL bar="baz"
)D", true, "", "", "foo:text", false},
    {"DL3049", R"D(FROM baseimage
LABEL foo="bar"
)D", false, "", "", "foo:text", false},
    {"DL3049", R"D(FROM stage1
FROM stage2
)D", true, "1,2", "", "foo:text", false},
    {"DL3049", R"D(FROM stage1
LABEL bar="baz"
FROM stage2
LABEL buzz="fuzz"
)D", true, "1,3", "", "foo:text", false},
    {"DL3049", R"D(FROM baseimage
FROM newimage
LABEL foo="bar"
)D", true, "1", "", "foo:text", false},
    {"DL3049", R"D(FROM baseimage
LABEL baz="bar"
FROM newimage
LABEL foo="bar"
)D", true, "1", "", "foo:text", false},
    {"DL3049", R"D(FROM baseimage as base
FROM base
LABEL foo="bar"
)D", true, "1", "", "foo:text", false},
    {"DL3049", R"D(FROM baseimage as base
LABEL foo="bar"
FROM base
)D", false, "", "", "foo:text", false},
    {"DL3050", R"D(LABEL required="foo"
)D", false, "", "", "required:text", true},
    {"DL3050", R"D(LABEL other="bar"
)D", true, "", "", "required:text", true},
    {"DL3050", R"D(LABEL required="foo" other="bar"
)D", true, "", "", "required:text", true},
    {"DL3052", R"D(LABEL urllabel="not-url"
)D", true, "", "", "urllabel:url", false},
    {"DL3052", R"D(LABEL urllabel="http://example.com"
)D", false, "", "", "urllabel:url", false},
    {"DL3052", R"D(LABEL other="foo"
)D", false, "", "", "urllabel:url", false},
    {"DL3056", R"D(LABEL semver="not-sem-ver"
)D", true, "", "", "semver:semver", false},
    {"DL3056", R"D(LABEL semver="1.0.0"
)D", false, "", "", "semver:semver", false},
    {"DL3056", R"D(LABEL semver="2.0.1-rc1"
)D", false, "", "", "semver:semver", false},
    {"DL3034", R"D(RUN zypper install httpd=2.4.24 && zypper clean
)D", true, "", "", "", false},
    {"DL3034", R"D(ONBUILD RUN zypper install httpd=2.4.24 && zypper clean
)D", true, "", "", "", false},
    {"DL3034", R"D(RUN zypper install -n httpd=2.4.24 && zypper clean
)D", false, "", "", "", false},
    {"DL3034", R"D(ONBUILD RUN zypper install -n httpd=2.4.24 && zypper clean
)D", false, "", "", "", false},
    {"DL3034", R"D(RUN zypper install --non-interactive httpd=2.4.24 && zypper clean
)D", false, "", "", "", false},
    {"DL3034", R"D(ONBUILD RUN zypper install --non-interactive httpd=2.4.24 && zypper clean
)D", false, "", "", "", false},
    {"DL3034", R"D(RUN zypper install -y httpd=2.4.24 && zypper clean
)D", false, "", "", "", false},
    {"DL3034", R"D(ONBUILD RUN zypper install -y httpd=2.4.24 && zypper clean
)D", false, "", "", "", false},
    {"DL3034", R"D(RUN zypper install --no-confirm httpd=2.4.24 && zypper clean
)D", false, "", "", "", false},
    {"DL3034", R"D(ONBUILD RUN zypper install --no-confirm httpd=2.4.24 && zypper clean
)D", false, "", "", "", false},
    {"DL3035", R"D(RUN zypper dist-upgrade
)D", true, "", "", "", false},
    {"DL3035", R"D(ONBUILD RUN zypper dist-upgrade
)D", true, "", "", "", false},
    {"DL3035", R"D(RUN zypper dup
)D", true, "", "", "", false},
    {"DL3035", R"D(ONBUILD RUN zypper dup
)D", true, "", "", "", false},
    {"DL3030", R"D(RUN yum install httpd-2.4.24 && yum clean all
)D", true, "", "", "", false},
    {"DL3030", R"D(ONBUILD RUN yum install httpd-2.4.24 && yum clean all
)D", true, "", "", "", false},
    {"DL3030", R"D(RUN yum install -y httpd-2.4.24 && yum clean all
)D", false, "", "", "", false},
    {"DL3030", R"D(ONBUILD RUN yum install -y httpd-2.4.24 && yum clean all
)D", false, "", "", "", false},
    {"DL3030", R"D(RUN bash -c `# not even a yum command`
)D", false, "", "", "", false},
    {"DL3030", R"D(ONBUILD RUN bash -c `# not even a yum command`
)D", false, "", "", "", false},
    {"DL4005", R"D(RUN ln -sfv /bin/bash /bin/sh
)D", true, "", "", "", false},
    {"DL4005", R"D(ONBUILD RUN ln -sfv /bin/bash /bin/sh
)D", true, "", "", "", false},
    {"DL4005", R"D(RUN ln -sf /bin/true /sbin/initctl
)D", false, "", "", "", false},
    {"DL4005", R"D(ONBUILD RUN ln -sf /bin/true /sbin/initctl
)D", false, "", "", "", false},
    {"DL4005", R"D(RUN ln -s foo bar && unrelated && something_with /bin/sh
)D", false, "", "", "", false},
    {"DL4005", R"D(ONBUILD RUN ln -s foo bar && unrelated && something_with /bin/sh
)D", false, "", "", "", false},
    {"DL3032", R"D(RUN yum install -y mariadb-10.4
)D", true, "", "", "", false},
    {"DL3032", R"D(ONBUILD RUN yum install -y mariadb-10.4
)D", true, "", "", "", false},
    {"DL3032", R"D(RUN yum install -y mariadb-10.4 && yum clean all
)D", false, "", "", "", false},
    {"DL3032", R"D(ONBUILD RUN yum install -y mariadb-10.4 && yum clean all
)D", false, "", "", "", false},
    {"DL3032", R"D(RUN bash -c `# not even a yum command`
)D", false, "", "", "", false},
    {"DL3032", R"D(ONBUILD RUN bash -c `# not even a yum command`
)D", false, "", "", "", false},
    {"DL3036", R"D(RUN zypper install -y mariadb=10.4
)D", true, "", "", "", false},
    {"DL3036", R"D(ONBUILD RUN zypper install -y mariadb=10.4
)D", true, "", "", "", false},
    {"DL3036", R"D(RUN zypper install -y mariadb=10.4 && zypper clean
)D", false, "", "", "", false},
    {"DL3036", R"D(ONBUILD RUN zypper install -y mariadb=10.4 && zypper clean
)D", false, "", "", "", false},
    {"DL3036", R"D(RUN zypper install -y mariadb=10.4 && zypper cc
)D", false, "", "", "", false},
    {"DL3036", R"D(ONBUILD RUN zypper install -y mariadb=10.4 && zypper cc
)D", false, "", "", "", false},
    {"DL3038", R"D(RUN dnf install httpd-2.4.24 && dnf clean all
)D", true, "", "", "", false},
    {"DL3038", R"D(ONBUILD RUN dnf install httpd-2.4.24 && dnf clean all
)D", true, "", "", "", false},
    {"DL3038", R"D(RUN dnf install -y httpd-2.4.24 && dnf clean all
)D", false, "", "", "", false},
    {"DL3038", R"D(ONBUILD RUN dnf install -y httpd-2.4.24 && dnf clean all
)D", false, "", "", "", false},
    {"DL3038", R"D(RUN notdnf install httpd
)D", false, "", "", "", false},
    {"DL3038", R"D(ONBUILD RUN notdnf install httpd
)D", false, "", "", "", false},
    {"DL3003", R"D(FROM a:1
ONBUILD RUN cd /opt
)D", false, "", "", "", false},
    {"DL3047", R"D(FROM a:1
ONBUILD RUN wget x
)D", false, "", "", "", false},
    {"DL3046", R"D(FROM a:1
ONBUILD RUN useradd -u 123456 luser
)D", false, "", "", "", false},
    {"DL4001", R"D(FROM node as foo
RUN wget my.xyz
RUN curl localhost
)D", true, "", "", "", false},
    {"DL4001", R"D(FROM node as foo
RUN wget my.xyz && curl localhost
)D", true, "", "", "", false},
    {"DL4001", R"D(FROM node as foo
RUN wget my.xyz
)D", false, "", "", "", false},
    {"DL4001", R"D(FROM node as foo
RUN wget my.xyz
FROM scratch
RUN curl localhost
)D", false, "", "", "", false},
    {"DL4001", R"D(FROM node as foo
RUN wget my.xyz
RUN curl localhost
FROM scratch
RUN curl localhost
)D", true, "", "", "", false},
    {"DL4001", R"D(FROM node as foo
RUN wget my.xyz
RUN curl my.xyz
RUN echo hello
)D", true, "3", "", "", false},
    {"DL4001", R"D(FROM node as foo
RUN wget my.xyz
RUN curl my.xyz
RUN echo hello
RUN wget foo.com
)D", true, "3,5", "", "", false},
    {"DL3043", R"D(ONBUILD FROM debian:buster
)D", true, "", "", "", false},
    {"DL3043", R"D(ONBUILD MAINTAINER "BoJack Horseman"
)D", true, "", "", "", false},
    {"DL3043", R"D(ONBUILD ADD anything anywhere
)D", false, "", "", "", false},
    {"DL3043", R"D(ONBUILD USER anything
)D", false, "", "", "", false},
    {"DL3043", R"D(ONBUILD LABEL bla="blubb"
)D", false, "", "", "", false},
    {"DL3043", R"D(ONBUILD STOPSIGNAL anything
)D", false, "", "", "", false},
    {"DL3043", R"D(ONBUILD COPY anything anywhere
)D", false, "", "", "", false},
    {"DL3043", R"D(ONBUILD RUN anything
)D", false, "", "", "", false},
    {"DL3043", R"D(ONBUILD CMD anything
)D", false, "", "", "", false},
    {"DL3043", R"D(ONBUILD SHELL anything
)D", false, "", "", "", false},
    {"DL3043", R"D(ONBUILD WORKDIR anything
)D", false, "", "", "", false},
    {"DL3043", R"D(ONBUILD EXPOSE 69
)D", false, "", "", "", false},
    {"DL3043", R"D(ONBUILD VOLUME anything
)D", false, "", "", "", false},
    {"DL3043", R"D(ONBUILD ENTRYPOINT anything
)D", false, "", "", "", false},
    {"DL3043", R"D(ONBUILD ENV MYVAR="bla"
)D", false, "", "", "", false},
    {"DL3043", R"D(ONBUILD ARG anything
)D", false, "", "", "", false},
    {"DL3043", R"D(ONBUILD HEALTHCHECK NONE
)D", false, "", "", "", false},
    {"DL3043", R"D(FROM debian:buster
)D", false, "", "", "", false},
    {"DL3043", R"D(MAINTAINER "Some Guy"
)D", false, "", "", "", false},
    {"DL4003", R"D(FROM debian
CMD bash
RUN foo
CMD another
)D", true, "", "", "", false},
    {"DL4003", R"D(FROM debian as distro1
CMD bash
RUN foo
FROM debian as distro2
CMD another
)D", false, "", "", "", false},
    {"DL4003", R"D(FROM debian as distro1
CMD bash
RUN foo
CMD another
FROM debian as distro2
CMD another
)D", true, "", "", "", false},
    {"DL4003", R"D(CMD /bin/true
)D", false, "", "", "", false},
    {"DL3012", R"D(FROM scratch
)D", false, "", "", "", false},
    {"DL3012", R"D(FROM scratch
HEALTHCHECK CMD /bin/bla
)D", false, "", "", "", false},
    {"DL3012", R"D(FROM scratch
HEALTHCHECK CMD /bin/bla1
FROM scratch
HEALTHCHECK CMD /bin/bla2
)D", false, "", "", "", false},
    {"DL3012", R"D(FROM scratch
HEALTHCHECK CMD /bin/bla1
HEALTHCHECK CMD /bin/bla2
)D", true, "", "", "", false},
};

void PrintTo(const SpecCase& c, std::ostream* os) { *os << c.code << (c.fires ? " fires" : " silent"); }

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

class HadolintSpec : public ::testing::TestWithParam<SpecCase> {};

TEST_P(HadolintSpec, Matches) {
  const SpecCase& c = GetParam();
  LintOptions o;
  o.shellcheck = false;
  o.build_checks = false;
  o.overrides[c.code] = Severity::kError;
  o.trusted_registries = SplitComma(c.registries);
  for (const auto& l : SplitComma(c.labels)) o.label_schema.emplace_back(l.substr(0, l.find(':')), l.substr(l.find(':') + 1));
  o.strict_labels = c.strict_labels;
  auto fs = testing::LintText(c.dockerfile, o);
  std::string lines;
  for (const auto& f : fs)
    if (f.code == c.code) lines += (lines.empty() ? "" : ",") + std::to_string(f.line);
  if (*c.lines) {
    EXPECT_EQ(lines, c.lines) << c.dockerfile << "findings:\n" << testing::Describe(fs);
  } else {
    EXPECT_EQ(!lines.empty(), c.fires) << c.dockerfile << "findings:\n" << testing::Describe(fs);
  }
}

INSTANTIATE_TEST_SUITE_P(Spec, HadolintSpec, ::testing::ValuesIn(kSpecs));

// ShellcheckSpec.hs: whether any SC finding appears (needs Debian's shellcheck).
const SpecCase kShellcheckSpecs[] = {
    {"SC", R"D(RUN echo $MISSING_QUOTES
)D", true, "", ""},
    {"SC", R"D(ONBUILD RUN echo $MISSING_QUOTES
)D", true, "", ""},
    {"SC", R"D(RUN echo foo
)D", false, "", ""},
    {"SC", R"D(ONBUILD RUN echo foo
)D", false, "", ""},
    {"SC", R"D(RUN echo "$HTTP_PROXY"
RUN echo "$http_proxy"
RUN echo "$HTTPS_PROXY"
RUN echo "$https_proxy"
RUN echo "$FTP_PROXY"
RUN echo "$ftp_proxy"
RUN echo "$NO_PROXY"
RUN echo "$no_proxy"
)D", false, "", ""},
    {"SC", R"D(ONBUILD RUN echo "$HTTP_PROXY"
ONBUILD RUN echo "$http_proxy"
ONBUILD RUN echo "$HTTPS_PROXY"
ONBUILD RUN echo "$https_proxy"
ONBUILD RUN echo "$FTP_PROXY"
ONBUILD RUN echo "$ftp_proxy"
ONBUILD RUN echo "$NO_PROXY"
ONBUILD RUN echo "$no_proxy"
)D", false, "", ""},
    {"SC", R"D(RUN echo "$RTTP_PROXY"
)D", true, "", ""},
    {"SC", R"D(ONBUILD RUN echo "$RTTP_PROXY"
)D", true, "", ""},
    {"SC", R"D(ARG foo=bar
ARG another_foo
ENV bar=10 baz=20
RUN echo "$foo"
RUN echo "$another_foo"
RUN echo "$bar"
RUN echo "$baz"
)D", false, "", ""},
    {"SC", R"D(ARG foo=bar
ARG another_foo
ENV bar=10 baz=20
ONBUILD RUN echo "$foo"
ONBUILD RUN echo "$another_foo"
ONBUILD RUN echo "$bar"
ONBUILD RUN echo "$baz"
)D", true, "", ""},
    {"SC", R"D(ARG foo=bar
ARG another_foo
ENV bar=10 baz=20
FROM debian
RUN echo "$foo"
)D", true, "", ""},
    {"SC", R"D(ARG foo=bar
ARG another_foo
ENV bar=10 baz=20
FROM debian
ONBUILD RUN echo "$foo"
)D", true, "", ""},
    {"SC", R"D(RUN echo $RANDOM
)D", true, "", ""},
    {"SC", R"D(ONBUILD RUN echo $RANDOM
)D", true, "", ""},
    {"SC", R"D(SHELL ["/bin/bash", "-eo", "pipefail", "-c"]
RUN echo $RANDOM
)D", false, "", ""},
    {"SC", R"D(SHELL ["/bin/bash", "-eo", "pipefail", "-c"]
ONBUILD RUN echo $RANDOM
)D", true, "", ""},
    {"SC", R"D(SHELL ["/bin/bash", "-eo", "pipefail", "-c"]
FROM debian
RUN echo $RANDOM
)D", true, "", ""},
    {"SC", R"D(SHELL ["/bin/bash", "-eo", "pipefail", "-c"]
FROM debian
ONBUILD RUN echo $RANDOM
)D", true, "", ""},
    {"SC", R"D(SHELL ["/bin/ash", "-o", "pipefail", "-c"]
RUN echo hello
)D", false, "", ""},
    {"SC", R"D(SHELL ["/bin/ash", "-o", "pipefail", "-c"]
ONBUILD RUN echo hello
)D", false, "", ""},
    {"SC", R"D(SHELL ["pwsh", "-c"]
RUN Get-Variable PSVersionTable | Select-Object -ExpandProperty Value
)D", false, "", ""},
    {"SC", R"D(SHELL ["cmd.exe", "/c"]
RUN Get-Variable PSVersionTable | Select-Object -ExpandProperty Value
)D", false, "", ""},
    {"SC", R"D(SHELL ["C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe", "-noprofile", "-noninteractive", "-command"]
RUN Get-Variable PSVersionTable | Select-Object -ExpandProperty Value
)D", false, "", ""},
    {"SC", R"D(FROM mcr.microsoft.com/foo/bar/windows:10
# hadolint shell = powershell.exe
RUN Get-Variable PSVersionTable | Select-Object -ExpandProperty Value
)D", false, "", ""},
    {"SC", R"D(FROM mcr.microsoft.com/foo/bar/windows:10
# hadolint shell = powershell.exe
ONBUILD RUN Get-Variable PSVersionTable | Select-Object -ExpandProperty Value
)D", false, "", ""},
    {"SC", R"D(# hadolint shell=powershell.exe
FROM mcr.microsoft.com/foo/bar/windows:10
RUN Get-Variable PSVersionTable | Select-Object -ExpandProperty Value
FROM mcr.microsoft.com/foo/bar/windows:10
RUN Get-Variable PSVersionTable | Select-Object -ExpandProperty Value
)D", false, "", ""},
    {"SC", R"D(# hadolint shell=powershell.exe
FROM mcr.microsoft.com/foo/bar/windows:10
ONBUILD RUN Get-Variable PSVersionTable | Select-Object -ExpandProperty Value
FROM mcr.microsoft.com/foo/bar/windows:10
ONBUILD RUN Get-Variable PSVersionTable | Select-Object -ExpandProperty Value
)D", false, "", ""},
};

class ShellcheckSpec : public ::testing::TestWithParam<SpecCase> {};

TEST_P(ShellcheckSpec, Matches) {
  const SpecCase& c = GetParam();
  LintOptions o;
  o.build_checks = false;
  if (!ShellcheckAvailable(o.shellcheck_path)) GTEST_SKIP() << "shellcheck not installed";
  auto fs = testing::LintText(c.dockerfile, o);
  bool any = false;
  for (const auto& f : fs) any = any || f.code.rfind("SC", 0) == 0;
  EXPECT_EQ(any, c.fires) << c.dockerfile << "findings:\n" << testing::Describe(fs);
}

INSTANTIATE_TEST_SUITE_P(Spec, ShellcheckSpec, ::testing::ValuesIn(kShellcheckSpecs));

}  // namespace
}  // namespace kiln::lint
