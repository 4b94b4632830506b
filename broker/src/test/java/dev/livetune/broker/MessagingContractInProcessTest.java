package dev.livetune.broker;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/** {@link MessagingContract} on standalone's {@link InProcessConnector}. */
@QuarkusTest
@TestProfile(MessagingContractInProcessTest.Profile.class)
class MessagingContractInProcessTest extends MessagingContract {

    public static class Profile implements QuarkusTestProfile {
        @Override
        public String getConfigProfile() {
            return "inprocess";
        }
    }
}
