package dev.berth.devtools.s3;

import java.net.URI;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;

/**
 * An S3 client of an {@link S3ProxyServer}, for tests that look at the bucket behind the registry's back.
 * Needs the AWS SDK v2 ({@code s3}, {@code netty-nio-client}) on the caller's class path.
 */
public final class S3ProxyClient {

    private S3ProxyClient() {
    }

    /** A client of the server at {@code endpoint}; the caller closes it. */
    public static S3AsyncClient connect(URI endpoint) {
        return S3AsyncClient.builder()
                .endpointOverride(endpoint)
                .region(Region.of(S3ProxyServer.REGION))
                .forcePathStyle(true)
                // S3Proxy lacks the SDK's newer flexible checksums
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY)))
                .httpClientBuilder(NettyNioAsyncHttpClient.builder())
                .build();
    }
}
