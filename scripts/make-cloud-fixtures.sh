#!/bin/sh
# Regenerates testdata/cloud/: key pairs made with ssh-keygen, and EC2 / Eucalyptus response bodies in the shapes
# the services send, carrying the fingerprints each service computes for those keys (keyhold-fingerprint(1) lists the formulas).
# fixtures.expect lists name, fingerprint kind and value, computed here with openssl and ssh-keygen.
set -eu
cd "$(dirname "$0")/.."
out=testdata/cloud
keys=$out/keys
rm -rf "$keys"
mkdir -p "$keys"

# RSA keys in PKCS#1 PEM, as AWS and Eucalyptus hand out; one ed25519 key.
for k in aws-created aws-imported euca-created euca-imported; do
  ssh-keygen -q -t rsa -b 2048 -m PEM -N '' -C "$k" -f "$keys/$k"
done
ssh-keygen -q -t ed25519 -N '' -C aws-ed25519 -f "$keys/aws-ed25519"

sha1_pkcs8() { openssl pkcs8 -topk8 -nocrypt -in "$1" -outform DER | openssl sha1 -c | sed 's/^.*= //'; }
md5_spki() { openssl rsa -in "$1" -pubout -outform DER 2>/dev/null | openssl md5 -c | sed 's/^.*= //'; }
md5_ssh() { ssh-keygen -E md5 -lf "$1.pub" | awk '{print $2}' | sed 's/^MD5://'; }
sha256_b64() { ssh-keygen -E sha256 -lf "$1.pub" | awk '{print $2}' | sed 's/^SHA256://; s/$/=/'; }

AC=$(sha1_pkcs8 "$keys/aws-created")
AI=$(md5_spki "$keys/aws-imported")
AE=$(sha256_b64 "$keys/aws-ed25519")
EC=$(sha1_pkcs8 "$keys/euca-created")
EI=$(md5_ssh "$keys/euca-imported")
AIPUB=$(cut -d' ' -f1,2 "$keys/aws-imported.pub")
AEPUB=$(cut -d' ' -f1,2 "$keys/aws-ed25519.pub")

cat > "$out/fixtures.expect" <<END
# name kind fingerprint — what each fixture item's keyFingerprint must equal
aws-created sha1-pkcs8 $AC
aws-imported md5-spki $AI
aws-ed25519 sha256-b64 $AE
euca-created sha1-pkcs8 $EC
euca-imported md5-ssh $EI
END

cat > "$out/aws-describe-key-pairs.xml" <<END
<?xml version="1.0" encoding="UTF-8"?>
<DescribeKeyPairsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
    <requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>
    <keySet>
        <item>
            <keyPairId>key-0a1b2c3d4e5f60001</keyPairId>
            <keyFingerprint>$AC</keyFingerprint>
            <keyName>aws-created</keyName>
            <keyType>rsa</keyType>
            <tagSet/>
            <createTime>2026-11-02T09:15:00.000Z</createTime>
        </item>
        <item>
            <keyPairId>key-0a1b2c3d4e5f60002</keyPairId>
            <keyFingerprint>$AI</keyFingerprint>
            <keyName>aws-imported</keyName>
            <keyType>rsa</keyType>
            <tagSet>
                <item><key>team</key><value>ops &amp; dev</value></item>
            </tagSet>
            <createTime>2026-11-03T10:00:00.000Z</createTime>
            <publicKey>$AIPUB aws-imported</publicKey>
        </item>
        <item>
            <keyPairId>key-0a1b2c3d4e5f60003</keyPairId>
            <keyFingerprint>$AE</keyFingerprint>
            <keyName>aws-ed25519</keyName>
            <keyType>ed25519</keyType>
            <tagSet/>
            <createTime>2026-11-04T11:30:00.000Z</createTime>
            <publicKey>$AEPUB</publicKey>
        </item>
        <item>
            <keyPairId>key-0a1b2c3d4e5f60004</keyPairId>
            <keyFingerprint>1f:51:ae:28:bf:89:e9:d8:1f:25:5d:37:2d:7d:b8:ca:9f:f5:f1:6f</keyFingerprint>
            <keyName>legacy &lt;2014&gt; &#233;t&#xE9;</keyName>
        </item>
    </keySet>
</DescribeKeyPairsResponse>
END

# The same listing with a namespace prefix and elements in another order.
cat > "$out/aws-describe-key-pairs-reordered.xml" <<END
<ec2:DescribeKeyPairsResponse xmlns:ec2="http://ec2.amazonaws.com/doc/2016-11-15/"><ec2:keySet><ec2:item><ec2:keyName>aws-ed25519</ec2:keyName><ec2:createTime>2026-11-04T11:30:00.000Z</ec2:createTime><ec2:keyFingerprint>$AE</ec2:keyFingerprint><ec2:keyType>ed25519</ec2:keyType><ec2:keyPairId>key-0a1b2c3d4e5f60003</ec2:keyPairId></ec2:item></ec2:keySet><ec2:requestId>x</ec2:requestId></ec2:DescribeKeyPairsResponse>
END

cat > "$out/aws-create-key-pair.xml" <<END
<CreateKeyPairResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</requestId>
  <keyName>aws-created</keyName>
  <keyFingerprint>$AC</keyFingerprint>
  <keyMaterial>$(cat "$keys/aws-created")</keyMaterial>
  <keyPairId>key-0a1b2c3d4e5f60001</keyPairId>
</CreateKeyPairResponse>
END

cat > "$out/aws-import-key-pair.xml" <<END
<ImportKeyPairResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</requestId>
  <keyFingerprint>$AI</keyFingerprint>
  <keyName>aws-imported</keyName>
  <keyPairId>key-0a1b2c3d4e5f60002</keyPairId>
</ImportKeyPairResponse>
END

# Eucalyptus 4.x: only keyName and keyFingerprint; no keyPairId, keyType, createTime or publicKey.
cat > "$out/euca-describe-key-pairs.xml" <<END
<?xml version="1.0" encoding="UTF-8"?><DescribeKeyPairsResponse xmlns="http://ec2.amazonaws.com/doc/2013-06-15/"><requestId>1b9e3f4c-8e2d-4d55-9a1f-0c6a2b8f7d11</requestId><keySet><item><keyName>euca-created</keyName><keyFingerprint>$EC</keyFingerprint></item><item><keyName>euca-imported</keyName><keyFingerprint>$EI</keyFingerprint></item></keySet></DescribeKeyPairsResponse>
END

cat > "$out/euca-create-key-pair.xml" <<END
<?xml version="1.0" encoding="UTF-8"?><CreateKeyPairResponse xmlns="http://ec2.amazonaws.com/doc/2013-06-15/"><requestId>9c2d7e1f-1111-4a22-8b33-44c55d66e77f</requestId><keyName>euca-created</keyName><keyFingerprint>$EC</keyFingerprint><keyMaterial>$(cat "$keys/euca-created")</keyMaterial></CreateKeyPairResponse>
END

cat > "$out/euca-import-key-pair.xml" <<END
<?xml version="1.0" encoding="UTF-8"?><ImportKeyPairResponse xmlns="http://ec2.amazonaws.com/doc/2013-06-15/"><requestId>0d1e2f3a-2222-4b33-9c44-55d66e77f880</requestId><keyName>euca-imported</keyName><keyFingerprint>$EI</keyFingerprint></ImportKeyPairResponse>
END

cat > "$out/euca-delete-key-pair-missing.xml" <<END
<?xml version="1.0" encoding="UTF-8"?><DeleteKeyPairResponse xmlns="http://ec2.amazonaws.com/doc/2013-06-15/"><requestId>3f4a5b6c-3333-4c44-8d55-66e77f889901</requestId><return>false</return></DeleteKeyPairResponse>
END

cat > "$out/aws-delete-key-pair.xml" <<END
<DeleteKeyPairResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><return>true</return><keyPairId>key-0a1b2c3d4e5f60001</keyPairId></DeleteKeyPairResponse>
END

for e in "AuthFailure|AWS was not able to validate the provided access credentials" \
  "InvalidKeyPair.NotFound|The key pair 'gone' does not exist" \
  "InvalidKeyPair.Duplicate|The keypair 'aws-created' already exists." \
  "RequestLimitExceeded|Request limit exceeded." \
  "UnauthorizedOperation|You are not authorized to perform this operation." \
  "InternalError|An internal error has occurred"; do
  code=${e%%|*}; msg=${e#*|}
  printf '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>ea966190-f9aa-478e-9ede-example</RequestID></Response>\n' \
    "$code" "$msg" > "$out/error-$code.xml"
done

cat > "$out/aws-describe-instances-page1.xml" <<END
<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>a</requestId>
  <reservationSet>
    <item><reservationId>r-1</reservationId><instancesSet>
      <item><instanceId>i-1</instanceId><keyName>aws-created</keyName><instanceState><code>16</code><name>running</name></instanceState></item>
      <item><instanceId>i-2</instanceId><keyName>aws-created</keyName><instanceState><code>80</code><name>stopped</name></instanceState></item>
    </instancesSet></item>
  </reservationSet>
  <nextToken>page-2</nextToken>
</DescribeInstancesResponse>
END
cat > "$out/aws-describe-instances-page2.xml" <<END
<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>b</requestId>
  <reservationSet>
    <item><reservationId>r-2</reservationId><instancesSet>
      <item><instanceId>i-3</instanceId><keyName>aws-imported</keyName><instanceState><code>16</code><name>running</name></instanceState></item>
    </instancesSet></item>
  </reservationSet>
</DescribeInstancesResponse>
END

cat > "$out/aws-describe-regions.xml" <<END
<DescribeRegionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><regionInfo><item><regionName>eu-west-1</regionName><regionEndpoint>ec2.eu-west-1.amazonaws.com</regionEndpoint><optInStatus>opt-in-not-required</optInStatus></item><item><regionName>us-east-1</regionName><regionEndpoint>ec2.us-east-1.amazonaws.com</regionEndpoint></item></regionInfo></DescribeRegionsResponse>
END
echo "wrote $out"
