#!/bin/sh
# joinery bootstrap script: makes this machine a Kubernetes node with kubeadm
# role init
set -eu
umask 077
if [ -e /etc/kubernetes/kubelet.conf ]; then
  echo 'joinery: /etc/kubernetes/kubelet.conf exists, this machine has already joined; nothing to do'
  exit 0
fi

# bootCommands
umask 022
mkdir -p /var/lib/kubelet
umask 077

# users
getent group adm >/dev/null || groupadd adm
getent group systemd-journal >/dev/null || groupadd systemd-journal
if ! id capi >/dev/null 2>&1; then
  useradd -m -c 'Cluster API admin' -s /bin/bash capi
fi
usermod -a -G adm,systemd-journal capi
usermod -L capi
joinery_home=$(getent passwd capi | cut -d: -f6)
(umask 077 && mkdir -p "$joinery_home/.ssh")
cat >>"$joinery_home/.ssh/authorized_keys" <<'JOINERY_EOF'
ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB6v1fJ0nZ3oXYdGQ6Ir0q3gWsmv9H8m1F3Jm0c8c1Yk admin@example.com
JOINERY_EOF
chmod 0700 "$joinery_home/.ssh"
chmod 0600 "$joinery_home/.ssh/authorized_keys"
chown -R capi:"$(id -gn capi)" "$joinery_home/.ssh"

# files
joinery_temp() {
  joinery_d=$(dirname "$1")
  (umask 022 && mkdir -p "$joinery_d")
  mktemp "$joinery_d/.joinery.XXXXXX"
}
joinery_commit() {
  chmod "$3" "$1"
  if [ -n "${4:-}" ]; then chown "$4" "$1"; fi
  mv -f "$1" "$2"
}
joinery_tmp=$(joinery_temp /etc/kubernetes/pki/ca.crt)
cat >>"$joinery_tmp" <<'JOINERY_EOF'
-----BEGIN CERTIFICATE-----
DsnTygaIOP1/iNCxba3vKJu91h9CgIB20XI7nOoAPas=l6KaIGgvN2rSQN1WkYzl
nIqnyA4CZnPq8yi26wMIxTE=qnYwVs6yoHzmjMTYD8Cv0VG/nVldNohoM4/ocJxe
G6g=+wxhYgCEDG6doL0YOh6N/vuN+p4URXQcgvM/G1/XDek=aYcOwGxnyvDMRc47
P/2ol6SCHyMdz4nsMGEMd+byPaE=x5NVPWPlERNMTC5QvXar2CkUGFjqfezffZUU
SWmVvf8=95v5xB4ltq4PoMIn4DCoopwEqxjP9Dg/mtkH364nTqU=rxn2k+Cv/kCr
eq8RJBTsqprmQlhUNJIv1hhs17wuDVM=hyCKiHs1j14rMgFC+NvnejAzRlQP2BnV
4jZG2QsollU=Y8bORpI9MyhP6/RSOmrSnqRGSOcKCITKNUPSfo/rTeo=GdQs6qYz
jlbMVPSPHtbhJmpeuqFTeKev+06glGpSkdU=YxcRaU5CHpn8F2qawE8FeKCWUUZh
a88arhF3O6+0DWk=9iStFUfYY52aGrfERIxxqSOthSbmY78quiLtRwtW4pA=FvJF
IhsaVDfdUCqZ56xit6zCC1ZOSN9V6Di0XZlzafQ=c3vcHAg78k6fti9e7QOhGbpY
NWiigbiNJTGd9ZPPxXY=FDZ4c6npyyM6OvV0agxQRKsfIF17lcNv69WFyTB3N1A=
0YQFItT+Zksl6SYeyr/IeF3udw0L44BK+D+B75jZRDY=cvou/xtoQFYtMGpoLP7K
QbHiQEvWi1eQ+helPSaw4o0=djQpm5gPGYRuDRDdeK2i7LThEt87gv1oQVoFRo0d
L6M=MAGsIjG8W4YFiWx+JIoI9XOZhfFv/L5J52QFpa6K0Jg=/GIr1K15iNbhTBKp
06EC1b1TibYwwh3QUv2JZUztIgc=Y5N0wQ23Pnh3DEuM+mp6mrZRfwZ7g3Sz//fU
cRynEDA=UJcDeX+N5aAhJd/bXMdyY7N1u/huYdgVTF/yT8kN6hI=fgjje9hvQR7o
ftMt/GulKtjCjhKqdwanQAyG/knMTYA=AjUrcaQolObas6RD4pvoa3niWIS3G4rI
-----END CERTIFICATE-----
JOINERY_EOF
joinery_commit "$joinery_tmp" /etc/kubernetes/pki/ca.crt 0640 root:root
joinery_tmp=$(joinery_temp /etc/kubernetes/pki/ca.key)
cat >>"$joinery_tmp" <<'JOINERY_EOF'
-----BEGIN RSA PRIVATE KEY-----
JGEU9IGpBthZog2VbQYaI/5AwIBEb3G1OjGNsoAW1W8=IexdEAa28CUEmvR1raiz
AldVvOQWh3j4LMwhiAyElXg=ZnUr9f0RV7h+BTdmSI4OyGr/fa6NsxyzztdliBTl
R/g=CKlB+stenYI5SMz/AHcbKMmxAwkjqV9QYMNNtcRH/Ro=bhI2a+eu1AaA64B+
t7NOTuQRJrD/S4Eu0yK/S0Fs1o4=VmwGVkr3ZDctkjYcd6DDwVq0Q/mV9vPrOp/f
r1g2izU=sGVs0EvQ2NncOb7Rs4oghd/63L2X2QxPteNKyksCT/g=PsEvmwNyesIh
TkZjMwNB7kGP9QPNraT8sMh98OVM+Jw=4gLoel6hDtFtoXy96v4IjYKX4HzsM3PG
AtbZSnw1JOQ=IJbFPONjTrpJ/UZv0xi9GDsCXo95zr2Rzi88lChK0NU=73oekDIl
HIInI4X9P+/AieaTjm3b8AD4bzbmoZX1mc0=PaS7cQ/qQGIvhECm8kw9zk2A427Q
pW0m2s727Um9We4=NQ8jeIafh3UZ563rP0BIj32tS89HVk9RHnz+jAR3ESg=aLsl
StEHTc+vdjMWf+8ECIMCk0HyqmS7FY+d2vllNWM=iN0JENMc+EAoLxnEWkdEa9CR
Z7XX4E9T18Lrcqg6xcY=5yXRpTVomGm/GYPCSMhVDGWbfiDfq1uFckT2QQoVh1g=
/ZtRjlNRYuEjyH9hoYHrJjSXd0D9G0A8KhhYiifiayI=Dzm7dwoJL4cS/2JkHtgO
JPLsKnzMphP09SmbdD4Zbl8=Efe2ikHD+x8wEc+lL+y+8LPA0Z6qMhSq3gPpcIJQ
Zbk=kDdGCl8e3H4Zwd9A+gkOi6856cqrdZzNs5FW3wY5MGs=NNkAZpnLhLQoFBC6
2uD5D3Nu6/h/C3OuxrZr7dO2BU0=A+CoM927rYfGbt+2sMRkf+YwsxmFy9huq013
CC78zvU=p8S1/O2ynuODnR6rZKqZL+179TRXwq6+nZ6TAaBKOY8=CAXiPdjMtlWv
101nFp1nK0NQsF9d6ZPI1F6ZocHk3+M=NvmuvfSDYgpyfo3nbhE+ZOi95z5rZfr1
FiQdfz9r5OY=TA3YnQNQadbz5RJ51iPAUVuYN5hwTCf7A4GRDXPO8Co=1OiSOkYz
FaxELwOFAuR/0FOMq2701/wkLfuEt67Hkw8=lvGoWtoGeHPpDcZ2dTOMvDff8UiD
V/nRXumANpxc5mg=Uo3tAiRuzGjp1LYw3FxhW31knb9Mg+CbxJRj2yJ4O7I=rGwD
xpSlQQIZHk/sixpgWIP0TUQ6VpHbcvXR04ufvOs=h7Bc3sOpXxEHQFIuyyV5yfFw
NgDjZVhs/7OHUHHi7+A=WxDCBtYQIXuRWJhkh1cdJ13Fue8RzGqIJTF5NuvoxB4=
vYX2hVhqtZJ9+qu/QZJJ26TwbWneIoQRxRVsZTrdIVY=VW1qaDO51XrxsndO9+EV
FoJby8+B8BDagcWLS6kDCEA=9Ph2k50Iz7pH0LGHIuMhFKF9hI9wh8w/KsoucuY9
72g=5wHHTa0oTx7XJC4qtRWHp9xkTF1Pj1ltlsXMswN48HU=1lDhbBNWFpB1T/yo
-----END RSA PRIVATE KEY-----
JOINERY_EOF
joinery_commit "$joinery_tmp" /etc/kubernetes/pki/ca.key 0600 root:root
joinery_tmp=$(joinery_temp /etc/kubernetes/pki/etcd/ca.crt)
cat >>"$joinery_tmp" <<'JOINERY_EOF'
-----BEGIN CERTIFICATE-----
2mUfnZc/szBzYIlIIKMPxGvk2iCLQ2LSqcweJ1W04lc=HLUlbUe3cB8qpZmjneui
uxq9JIRAgamHF22cL73lnaY=s0NuXjxxkVOT6l47gQipf87sYuX8UAEgLDSTQNhX
E3Q=OBGOV485sA2f/SidO/2WM4xyyr61JZnGQejHV6NgFiw=hJ/ZayjXtJk7oY3N
SbzhHfLKZ9YVw/YOWH5t/bgmLWg=oHo4Bv5JPE/SHfPt47taWytGg1dGVTqwvc+y
HJn/q1I=UWwcMwP3VgHDkN4tw9gZXFIOdAnjL4AsUjzDKed+HW0=fSZ0sdNAMAUw
TpHyaAa9QpJQSZ8DDfJbRSk3i1qIdRs=XO76deMJDyjUdecX9Ieq56dMAk47X3dS
czC3gwwujbM=oBrh0t0byVtUGbdJOhZ/YMVuuBDLC6OPAsYZG7Tyk5Y=MHhOJSpx
dOb9/dBVdltjof/JVpDmnZ8X5q/KVhPYfEk=dzGiYH+mu8uIDbwBKA+7BFqttJYL
a7cBvEEBGRIXLg0=jogWCxEZSmJjti1c6OHDC3nhj4W90W5g5ikPnWjpp/s=sbRp
OfiaFyG/GMUQRhveMurKezkAjnTJgdHoNN4jDzg=nMQAN7+LvAQERp8vtcwj0RjL
KeeFzES11NqOnLRTPsk=/7b2fDp4mUEG1b72WNGU5PVaBiAjTUz3lkinvPxNHdU=
JoYWoV9l7kdi2niP9tiAacv6bbFDLqgrICccot1OpBc=0EQBJcCd72PL/S6MbkxS
9vdngPknY5OUYMTAxArb7Ec=Sr/MlBE4R6cyNFufSjeDfUOJ4mgqpUHjqsjE2VXH
KBY=S1ipehED+0avpzkGimPgZ0ccIEjZKaN+0Q6BuVg+6uw=BEWTBcJWB40R1awo
jjw8+H+40Z/SHWjG7P7E8Di7Nhg=/5djwXDR1RHRgaCsVv8AGqzhQjpiI3SLgTWJ
Bx3TJvI=xROMdNwaH4Ct8y2dSIx7MVZyIkp1RtkXXpPdeRlXoQo=ef5itpKLg8p6
E63GkuVT0Li/gL8dn/7/InGXbdwiUlk=qBBSbyUvl+G+UlKHMi4THY0k7Yv91qM1
-----END CERTIFICATE-----
JOINERY_EOF
joinery_commit "$joinery_tmp" /etc/kubernetes/pki/etcd/ca.crt 0640 root:root
joinery_tmp=$(joinery_temp /etc/kubernetes/pki/etcd/ca.key)
cat >>"$joinery_tmp" <<'JOINERY_EOF'
-----BEGIN RSA PRIVATE KEY-----
HJGIQ+htDPOMieAsan/nfmqFD5Eomj4XRE8Z+zyoXG4=7Sz9PQ4zmqLKDdqmw35I
IYwoN4xw7VqprD5SCkEMXE4=gTYl+gV9MIpr4J2SIDdGbQHhcpMsBRiMcwn+3SsQ
+FQ=9IYiafZzCrlnmkRQrFxs/OOAFGOCOSBzrc7gvsAm4Do=QIwIDfrsm8hrFN7V
g3Vb+ccfJyuK0Px+6eynRQKrdak=ntfqTu6lGJtl2ommkNIjhNl9lGG0WtVjP5fM
BOCr2Ds=pYX17bfWFNmc/jWmzjGy2o3+kEt0T0kJNXXWFmGUZMI=I6oqd+LdVHfh
PGBWIsEreCB2EfRL+Tg3mfUh/6gd1DY=hUTv7Ok9d6vCsXku0cbaaJ/8MjtxUYgW
M5mSSAf4sUQ=DGGGYT+fPCVL9zNnX2MPdh+DfXSMvrg4Au9EzfB+rnk=8WLzviTb
SZNB3C7BBdrBlN2OkIVZXkp5p/PnswjwdUY=kKajbsm+ogb16bJW6tt/zylIzVPj
bu7qT1BM3oXgS7U=13CbtSHKrf1V/ozIrt1eq3Yd5z1vthxRvJMfHP/98dk=4jfQ
bq8WfM0dZ8cq2zKVYXhni1OEUjh5LKDj+ALocck=+kwkXR6eLWSjFo0QkdYSAlFd
Z5cN4IyHBXUUuxteo6I=batvttj+ILTO/50MvyR+Pk0eYG4agYN0EDr1ioJWyes=
oE9BU8t6TTQtMceAr6MlJsUJdFsdpSbWWFRY/rOIx1c=SkonhhVLCWb7Xb/qF4fs
+EQXoQ+M/rkGBzCZgQOMZhk=oMr+qxgwgJAzfqNM7SDWPjf4j8s2wF0krYQ4Q8jX
djQ=T1NqC8DJEq2VsPaoCq5uCZBhQWDaQfuoAJVMtISP0gE=jRTzCItWJx0S5YKw
Mb7JFicq0mebXpKFt5BXlbIRCaw=d9/8otErB8a6gTRKuWeghVOtapUyLo+Tu7+N
iamyGuo=fM7L92zC2uso1q7a26ZlHDHziSh4STQ5b3nTvNUBlPY=eBMxZF6e70Qs
WKUbK+rvyMaghrRvvSTZWq6xkaaOjKo=uOaCjP0/fJD1C4IG7F4QOk882okRoSw5
E5AXXPuveJE=T5eHKJvhfot1myojLT8oj7CG4ufFLfrlUjs1d4wOQeg=oiQ6YQjo
Gp2USNJ7OfbOe8YI1ESXCYSSCHhU2SV5MGs=c83IZUg37IUAW4dSiBt/EPHoUNxf
PHUk5cnSiHqVUAU=E/IghEBELhmvAxnLGgWEqhQquqj0AM131wMtVAs3uOc=pyY9
L9aRYOhi+FLrdgGyZRwBNycDdnVa4SfEX0trSjE=ui/KVwl0sluFOG2qpk9DWQmR
ljD/icY7Pgq+P+uFz7E=yicAy8EZX8O2NWh+33qqnFqwWgm9C2flP6Pw93VnBZs=
OMh/znmR+2Xkqx3z0akB8RtNOUcgA5MTZZW5vdhaiKM=zpzyQM8qxMhGFle8u/qO
/dah3OM+bc5XQgapElA+L/8=jLYCCmJdzDF+Pljp5q+dmVjSVN2FqaUIUl0ilWz5
nts=ZFRhzkTKb9dwMelj1M66LV7x9rR+9L3KcX2UCCDEmg8=4hlJwoswOfxyDdZ6
-----END RSA PRIVATE KEY-----
JOINERY_EOF
joinery_commit "$joinery_tmp" /etc/kubernetes/pki/etcd/ca.key 0600 root:root
joinery_tmp=$(joinery_temp /etc/kubernetes/pki/front-proxy-ca.crt)
cat >>"$joinery_tmp" <<'JOINERY_EOF'
-----BEGIN CERTIFICATE-----
2AR7+fFiOx+GX6TlldDIxodhI5vM0PBlWplgVPNWulU=dhi1Ekku1908JZA0eWTz
pNoUsP7wrsrj8/Nk9XSy2UI=FMoY9oSJ1PVU1IWuSU/TrxRx3GRLcpCupYOXC/ks
Z1o=K3eP6vdYgl1YuENgLrCSDIt20sRDsL508ddsCTnLlqE=rFnQDDmaaDAJ4q2J
BCrDqJHaTmCDjhtOhrIXER6R40g=VKCFQ7vDV3KzDUugdkQj5+UdiHlHg7ZiC/YY
mZBPocY=H149FJomlMZSSyF28dE6CHkSOjgjpI7wCnMtih5sm8s=kFstJtnDKX36
XpyG4Aqo+68JqNByTqAPnbgwNtmxJEA=prDO/5WMyko7sg6RTPwCJd6ouBF8F1K8
UNAfMIV5Gp0=SYV+9sB6J00GHUUK8FmHp6s9sbS1Qfvk9ECHs7K1E6Y=OZPk77rv
KlvQE41pfxtBEOwKLuuIKZmc/N/qQb6yvXo=tLsJb7w+yV+jHQ64rF5VPnDOWK03
9fKBw7jTtec2qNI=eMm8okefTGoXYom9JCeLWWW2kO3CEIxbv2w8PdCZN2I=zVWY
eXFaXlOwCbFnUnEh2HXbv0f23MU2tCFdedmHZLc=xNsHVpdTlORFP7r9XYXvJenG
ehcrktRfAaVhzyea1eg=B+cFKyfxSRUhhhfD1O926+Eg9Nb/O35T1lvS40pZeIo=
uaECNeyDC0tbZ1vDRqZOvdn5MEhBRyv2RQ+bk1lQuNk=CFiNAamcxBV6zpC/mzc8
kfcg5EtkgARIrALgnXUx1lI=N/StntTv14ZhzxINWfwJJTusx43iYaNyVy9sdHPO
/2U=ro3u+wjtphFb2Jjlhio7PxFOyGdDtSoqWQxH0Ko10Js=Vh3rHU8tY2kHCcz6
BGasfDl0x5Cffv/yHbtUo28qDUc=li1q/fFBV1f6jgMIaTM0uYuuwG/1pGW6sXDD
jNcbtoE=sKuN6fR9UP7cOxxe8ipmHSF5kJKtPSEIFFbBCeAjwhU=26diYh6VJL6O
VCUXpZgZmQhexgPlYr5AQD8STZgNVPE=RW92NtewMhrr8onQzyZ2Gwdf1VjQ9qnB
-----END CERTIFICATE-----
JOINERY_EOF
joinery_commit "$joinery_tmp" /etc/kubernetes/pki/front-proxy-ca.crt 0640 root:root
joinery_tmp=$(joinery_temp /etc/kubernetes/pki/front-proxy-ca.key)
cat >>"$joinery_tmp" <<'JOINERY_EOF'
-----BEGIN RSA PRIVATE KEY-----
dssUTa8u/o+5U+bN1gYgtm1fdIxIQfrfCXjhFBy5tC8=remhIgqPy29X2x4FRPgb
2QKonBbFyhk2O4j3rxgryP4=P0XEyPwg/8fyhZf0LI4Axyl2d/la94QLzBoqTHEz
3xA=Ndhxy44MH4/HMjznT8EUaH2PvzHiwhGeSIoTkLlkQXI=YCnJJmsfjEgzqq4L
fE8EtBLPaNcAPeZGNXmFSaNZ1pE=aYLqhwvI6qzSmKPiz++/EaOs6pdOp8tv95dy
JVYt/uI=JvccB+8/2GhDgk37Ly02vDoXXG8WrjuECXuF/Nh2lGo=0qAIRLEtjSuj
7sjmXVFCtNGEbBgfJLdlqQQXKkT1rpo=LqjgcKTOyda8pCbMT09CPYWPUekmNyXo
aBuBXhZk6SA=Bg3G6nfg6isL28TMqwbKdSkn6Fiup6Lh8b89zLdwqig=SShwHqph
Z++y4vuL0JgOVXdJ4IG3Er70tbu37E5/Z2E=IWoUQKxD00wdK3URp7oDpvTAEU6c
2lY9OEMGcifiT9M=BkBapdHAPEc4O4rOBb6qoHrqWkiFg+Jfmy1p4Yu75q0=RRWb
NIzCSt9g/h8Da/lh0V1F30TSk+wSrhJm3o7BrvM=MhbgYIDOkICPcm824GXcOzk0
8EBQsUb545iE1vRIBSU=K5cD9zeEouLcARrPvW7TQ2lhnN54KkYZLlXtDRQZC+Y=
nyj4B765AuaM+NN8XGiHG9pTOLx4hw19BDK1mdjDQsc=ytVALjqfRyhd7PuZa0ks
DU2+eqPWucpaqQk195dceh0=VQ4d/kz3WOxK2ZNSTyU9cnY+2PCxoH2ZjB3U9e/X
/vk=B5DQ9fsc2o9jmqV2YulJvHPzbhJMUAgG8abqwM38yuU=ENQpeQ6MoXJ1NTZn
xruMZtnZZePhl4KyCWnnwPx1Atk=gOT+wkAtsICZjujLQ4tp44mYv59uKL2MOjTK
ukWkBGM=rmN8OWn0qGAq7ziSJRLuzr9QDvCaQI+dgR+tpVuxvO0=5FitNTduloJL
HYNfnabFm7M7C9/5JRytEQVCNVjAFfY=fDjc9oDegDZ0Fh+8IVdrex8xXArA4/jB
iRYkYdM3xNM=hgWjw97Yun6zPI+CZYU8qkU+FxymdgDGOF/q7MQR4LY=SzF+icJ5
k74xjwiCow2wFhtuPzAWDlK7cVW/9KFc5JQ=AG90PiXE1hD59Eqv1fzbRbEP4GhT
iF+ATjrI7xAq+RE=vd2RFx25NqDCVfLHTNdM1cqwfOOW+Lxy7xZS8IO3DzQ=gIDV
tBHQyT2Dnl+OvZauQ93yPP4hG5q8AaolXX1ArdU=HIvm9aMNKQ4skW4LmwLmWwnr
PszO5rNXSQUXu4k0Cew=p66fPiu2cGXxpOML6oYKiHTsETZMXxFg3IAwXTnw4mc=
wPOdC0DDni+4Q0MatntFXh3gzhr3gnNNznJcnhO+T5c=5LnWzN/MHiu8ZlFNJMJr
y87ipkd2JuNEdaNes3u5Fxo=wE+x3NDrasvvCefzhngX7B5GXqnVnNjINEaaCgPk
F4M=w3YEIJ09ayy9WeDxMdqbO7QexVCSwSnKuz+CiLdvQko=WEzVFtsXK0b1YKRE
-----END RSA PRIVATE KEY-----
JOINERY_EOF
joinery_commit "$joinery_tmp" /etc/kubernetes/pki/front-proxy-ca.key 0600 root:root
joinery_tmp=$(joinery_temp /etc/kubernetes/pki/sa.pub)
cat >>"$joinery_tmp" <<'JOINERY_EOF'
-----BEGIN PUBLIC KEY-----
zX8i7xt5mgjjwAEqf1EYbuSzOB2qx/mA7HcWHjGrUBI=STuwfD2kQGNIRXynh4tB
8oPj3Cc9mcsqjvewHoOHXPk=jo52L2jHZMRbfWXZHGdS3eCKB2lJdnk2MLAelSr7
uF0=p9Hkx0ivn4uUWiA4YeFSS4b0SVyG7w/BXrtvQKpJJto=g8WpbdFfrPswTTUt
w1RHglhw4s0Ba/IfPa2PqPemRxY=mm4gigt7PBGE1qgA7y+AXHMjxGNyAdE96/bU
017yeS4=6DjSKxRqUU2ggkzQuWEQQqxikTbmBjE7C7gt71Sl8qo=CTwdyoJRn9ol
Ldaplz3jftiD8LiUFUOZAP3XuPCuafs=nDhrWtAXLgOoqKkdJz88HlGd6D9K7fvg
-----END PUBLIC KEY-----
JOINERY_EOF
joinery_commit "$joinery_tmp" /etc/kubernetes/pki/sa.pub 0640 root:root
joinery_tmp=$(joinery_temp /etc/kubernetes/pki/sa.key)
cat >>"$joinery_tmp" <<'JOINERY_EOF'
-----BEGIN RSA PRIVATE KEY-----
1XDuW10O2Sy1hJn89NbS/Xzss/Sff9OmXNvcNtf8cT4=nClS/8azaDURdin2K9eA
DyQk+xaWHTL1Z0mUbGapblQ=uT9QzAduUULtsnGT7J5wO2/X8jS34cM571zH+17b
pBE=RGI+H+XpTNgIzoWFMDwBlHrK5grxzpjVq1RututO8gQ=236v6y88U7Byuc9p
b9fjehaeyGDbosXRnlryuHMjmbA=IrRdctdts7LoURI6JdbQ03ihyxiQZ7Le43cK
oVoWfA4=cClVxNwa50YcjDNjUC1fmx40ON3nQ/Nt5ZSf/bylwAw=RQ3x4PENFsJY
hGN3IdXK4xqv/AO2z1V9h6weABGRlys=fPJhzBzLFPp8E0sLs9+xcWg4eMLGTSKD
rImK3pfXEdA=TKagQHxrd/OnhaR0rFs/i+NZ5Ugexvx0mure2/D7Yjc=fCllMT+f
yvqv6miKsCsJWGcf0pcjfwcTj9wWs4IHUU0=UmapUHDwCK3VxxzBRgUfnKMP2485
ivdPQKk4a1IzMOg=bG49xz8FqoXbvbq0wPyVh/KP2hjZ32qKoiyOZgOSM3I=7d4u
7p049Ne5c2nO2OJ7mcrRAhUG2SLkQN1VpPYTiwc=ckDxsadTExYhH3z6NYhpxqlN
wPwecScCwoHFPRRJFrU=wJhQ66T09mSOuBToxRF4DVt6CuQanB5i95abTPF4EkA=
aTFivjQoEdSRMAwdZs6a5I1lTsTpZ1SkE6NookoFDPQ=cANFg+Ws1c0YwXeWI/Ft
cn/60gQp3kr2O8yQTOteEko=6calNeP7m+UQ0b+5THziyynhkv/xEOsx/nhkO0h/
hlo=5rBT6hSqm0NJuC+wlfSPMuqPwz87VBuVhgum9wToP6Y=juo87bRJvTBOIb23
PP71FtSb/Tx52GrQD1r7Id8rAq4=Sgjtn8Bcza/4eicjEUwna4Ra9cEiR8UpgJMF
4lPtGIw=g1EaaNcczmdqcvJQ8K+FsvwK6HcEGw3jbf4lmv1Jy1g=jqIGNmCuI4uS
T+Yk6YrkEwQ4z74zv95qzhUg4iZtZGA=BfVSNnhDNDwl70MIhamQWj5cGUVN/O7o
4c8faWa98QI=yuRIwLD/m+wNzXl2VzlbzMxxFOJ5KNdE8ZN8jd6bM7o=wQmftIV0
Vn8MuKq0O5vIFs5pXXQn6zTosZoMVqUJsPs=ltCBkRh8lEALdBPFNfd/dDR1Brlp
937jvGig0aXhUnk=bbXuG+DbULeZu4xSJF8DO3OuB0N9Oq4KUR2Dt/D7zxg=oMU8
b0nsNT6MNmHAOUmvFAaI4y+qB0rxoGqkwGKa/4Q=cy+qOXTuaV2vFePVwEzFgoB2
Zoip5fvemFTujPiOa04=VGuc00n/t/RY0YdJbwfuXPyCI+LDK4VFoOW5RKgDu30=
2BWIwtdoCaUBMR1mmA5B19U+L+Srj3Zk2C1Hxz0+9hI=frINonZ8nxZtiaZqE4f2
q4geJ/lg8PoE92+rWUxdDaI=vAD0e5wy/ifj4V9/J4/8swL6h6k599H60qOvusg4
v6M=N9uzsqNEix3LEXBp5ps+gsZiVcNuZLbpp/PuiHsnyhE=fNFvalr59ntzXx1a
-----END RSA PRIVATE KEY-----
JOINERY_EOF
joinery_commit "$joinery_tmp" /etc/kubernetes/pki/sa.key 0600 root:root
joinery_tmp=$(joinery_temp /etc/sysctl.d/99-kubernetes.conf)
cat >>"$joinery_tmp" <<'JOINERY_EOF'
net.bridge.bridge-nf-call-iptables = 1
net.ipv4.ip_forward = 1
JOINERY_EOF
joinery_commit "$joinery_tmp" /etc/sysctl.d/99-kubernetes.conf 0644 root:root
joinery_tmp=$(joinery_temp /etc/hosts)
if [ -f /etc/hosts ]; then cat /etc/hosts >"$joinery_tmp"; fi
cat >>"$joinery_tmp" <<'JOINERY_EOF'
10.0.0.10 api.cluster.example.internal
JOINERY_EOF
joinery_commit "$joinery_tmp" /etc/hosts 0644
joinery_tmp=$(joinery_temp /opt/capi/README)
cat >>"$joinery_tmp" <<'JOINERY_EOF'
Managed by Cluster API: don't edit; `kubectl` lives in /usr/local/bin.
JOINERY_EOF
joinery_commit "$joinery_tmp" /opt/capi/README 0640 capi:capi
joinery_tmp=$(joinery_temp /run/kubeadm/kubeadm.yaml)
cat >>"$joinery_tmp" <<'JOINERY_EOF'
apiVersion: kubeadm.k8s.io/v1beta3
apiServer:
  certSANs:
  - api.cluster.example.internal
clusterName: demo
controlPlaneEndpoint: api.cluster.example.internal:6443
kind: ClusterConfiguration
kubernetesVersion: v1.30.2
networking:
  dnsDomain: cluster.local
  podSubnet: 192.168.0.0/16
  serviceSubnet: 10.96.0.0/12
---
apiVersion: kubeadm.k8s.io/v1beta3
bootstrapTokens:
- groups:
  - system:bootstrappers:kubeadm:default-node-token
  token: abcdef.0123456789abcdef
  ttl: 24h0m0s
  usages:
  - signing
  - authentication
kind: InitConfiguration
nodeRegistration:
  criSocket: unix:///var/run/containerd/containerd.sock
  kubeletExtraArgs:
    cloud-provider: external
  name: cp-0
JOINERY_EOF
joinery_commit "$joinery_tmp" /run/kubeadm/kubeadm.yaml 0600 root:root
joinery_tmp=$(joinery_temp /etc/sudoers.d/90-joinery-capi)
cat >>"$joinery_tmp" <<'JOINERY_EOF'
capi ALL=(ALL) NOPASSWD:ALL
JOINERY_EOF
joinery_commit "$joinery_tmp" /etc/sudoers.d/90-joinery-capi 0440
joinery_tmp=$(joinery_temp /etc/systemd/timesyncd.conf.d/joinery-ntp.conf)
cat >>"$joinery_tmp" <<'JOINERY_EOF'
[Time]
NTP=0.pool.ntp.org time.example.com
JOINERY_EOF
joinery_commit "$joinery_tmp" /etc/systemd/timesyncd.conf.d/joinery-ntp.conf 0644
joinery_tmp=$(joinery_temp /etc/chrony/sources.d/joinery-ntp.sources)
cat >>"$joinery_tmp" <<'JOINERY_EOF'
server 0.pool.ntp.org iburst
server time.example.com iburst
JOINERY_EOF
joinery_commit "$joinery_tmp" /etc/chrony/sources.d/joinery-ntp.sources 0644
if command -v systemctl >/dev/null 2>&1; then
  systemctl try-restart systemd-timesyncd.service chrony.service chronyd.service || true
fi

umask 022

# Kubernetes binaries, checked against their sha256
joinery_download() {
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL --retry 5 -o "$1" "$2"
  else
    wget -q -O "$1" "$2"
  fi
}
joinery_install() {
  joinery_dir=$(dirname "$3")
  mkdir -p "$joinery_dir" || exit 1
  joinery_tmp=$(mktemp "$joinery_dir/.joinery.XXXXXX") || exit 1
  if ! joinery_download "$joinery_tmp" "$1"; then
    rm -f "$joinery_tmp"
    echo "joinery: could not download $1 for $3" >&2
    exit 1
  fi
  if ! printf '%s  %s\n' "$2" "$joinery_tmp" | sha256sum -c - >/dev/null; then
    rm -f "$joinery_tmp"
    echo "joinery: $1 does not have sha256 $2; refusing to install $3" >&2
    exit 1
  fi
  chmod 0755 "$joinery_tmp" || exit 1
  mv -f "$joinery_tmp" "$3" || exit 1
}
joinery_install https://dl.k8s.io/release/v1.30.2/bin/linux/amd64/kubeadm c09f7cc614bc0d460d736d89348672ead3cea0459eccfc2e9a17bb774f671897 /usr/local/bin/kubeadm
joinery_install https://dl.k8s.io/release/v1.30.2/bin/linux/amd64/kubelet 403bd3651b7292b31e52f0ba8c21b8e8c39270f46607b6c1d795d3224651ba06 /usr/local/bin/kubelet
joinery_install https://dl.k8s.io/release/v1.30.2/bin/linux/amd64/kubectl 214e3c16da651f1647a408dfdbf88f4ebbbaa8f8559c4f1837aceea0b8635607 /usr/local/bin/kubectl

# preKubeadmCommands
swapoff -a
modprobe br_netfilter

# kubeadm, then the Cluster API bootstrap sentinel
kubeadm init --config /run/kubeadm/kubeadm.yaml
mkdir -p /run/cluster-api
echo success > /run/cluster-api/bootstrap-success.complete

# postKubeadmCommands
echo "joined $(hostname)" >> /var/log/joinery.log
